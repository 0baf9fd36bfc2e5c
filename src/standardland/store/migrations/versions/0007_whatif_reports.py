"""Stored what-if reports: each run of a draft rule set against the store keeps its report under an id
(the map colours the parcels of ``/map?whatif=ID`` from it)

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "whatif_reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("draft", sa.String(200), nullable=False),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text),
        sa.Column("created_at", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
    )


def downgrade():
    op.drop_table("whatif_reports")
