"""Idempotency keys scoped to their caller: the primary key becomes (caller, key)

Another caller's key is unknown to a caller, so a replayed key can never return someone else's
response. Keys stored before this revision belong to no caller (they are retries only: a late
replay of one is treated as a new request).

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "idempotency_scoped",
        sa.Column("caller", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("application_id", sa.Integer, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.PrimaryKeyConstraint("caller", "key", name="pk_idempotency_keys"),
    )
    op.execute("INSERT INTO idempotency_scoped (caller, key, application_id, action, response, created_at) "
               "SELECT '', key, application_id, action, response, created_at FROM idempotency_keys")
    op.drop_table("idempotency_keys")
    op.rename_table("idempotency_scoped", "idempotency_keys")


def downgrade():
    op.create_table(
        "idempotency_unscoped",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("application_id", sa.Integer, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
    )
    op.execute("INSERT INTO idempotency_unscoped (key, application_id, action, response, created_at) "
               "SELECT key, MIN(application_id), MIN(action), MIN(response), MIN(created_at) "
               "FROM idempotency_keys GROUP BY key")
    op.drop_table("idempotency_keys")
    op.rename_table("idempotency_unscoped", "idempotency_keys")
