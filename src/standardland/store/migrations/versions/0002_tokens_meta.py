"""API tokens (stored hashed) and a store-wide change counter

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.Column("revoked", sa.Boolean, server_default=sa.false(), nullable=False),
    )
    # counters bumped in the same transaction as the write they describe: caches in other
    # processes compare them to know when to reload (rule sets, parks)
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO store_meta (key, value) VALUES ('rulesets_version', 0), ('parks_version', 0), "
               "('parcels_version', 0)")


def downgrade():
    op.drop_table("store_meta")
    op.drop_table("api_tokens")
