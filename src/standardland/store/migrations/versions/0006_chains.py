"""Industry chains (产业链): one row per chain, its validated document as JSON, and a change counter

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "chains",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("park", sa.String(64)),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
    )
    op.execute("INSERT INTO store_meta (key, value) VALUES ('chains_version', 0)")


def downgrade():
    op.execute("DELETE FROM store_meta WHERE key = 'chains_version'")
    op.drop_table("chains")
