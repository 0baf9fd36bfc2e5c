"""Workflow: applications, agreements, inspections, an append-only hash-chained audit log, idempotency keys

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    now = sa.text("CURRENT_TIMESTAMP")
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("parcel_code", sa.String(28), nullable=False),
        sa.Column("applicant", sa.Text, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("project", sa.Text, nullable=False),
        sa.Column("verdict", sa.Text),
        sa.Column("exception_reason", sa.Text),
        sa.Column("rectify_due", sa.Date),
        sa.Column("facts", sa.Text),
        sa.Column("created_at", sa.DateTime, server_default=now, nullable=False),
        sa.Column("updated_at", sa.DateTime, server_default=now, nullable=False),
    )
    op.create_index("ix_applications_state", "applications", ["state"])
    op.create_table(
        "agreements",
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), primary_key=True),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("signed_at", sa.DateTime, server_default=now, nullable=False),
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actuals", sa.Text, nullable=False),
        sa.Column("verdict", sa.Text, nullable=False),
        sa.Column("result", sa.String(32), nullable=False),
        sa.Column("penalties", sa.Text),
        sa.Column("inspected_on", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime, server_default=now, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(32)),
        sa.Column("to_state", sa.String(32), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("snapshot_hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("application_id", "seq", name="uq_audit_seq"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("application_id", sa.Integer, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, server_default=now, nullable=False),
    )


def downgrade():
    for t in ("idempotency_keys", "audit_log", "inspections", "agreements", "applications"):
        op.drop_table(t)
