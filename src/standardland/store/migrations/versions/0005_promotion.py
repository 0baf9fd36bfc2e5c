"""The promotion record (招商) of an application and its service log

Applications gain the promotion record: the investor fields as JSON (``promotion``), the five
promotion dates as dates (intended → signed → registered → started → commissioned) and the
assigned service officer (a user's name). ``service_log`` holds the dated entries (visit, issue
raised, issue resolved) with an optional follow-up date and the entry they answer.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DATES = ("intended_on", "signed_on", "registered_on", "started_on", "commissioned_on")


def upgrade():
    with op.batch_alter_table("applications") as b:
        b.add_column(sa.Column("promotion", sa.Text))
        for d in DATES:
            b.add_column(sa.Column(d, sa.Date))
        b.add_column(sa.Column("service_officer", sa.Text))
    op.create_index("ix_applications_signed_on", "applications", ["signed_on"])
    op.create_table(
        "service_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("entry_on", sa.Date, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("follow_up_due", sa.Date),
        sa.Column("answers", sa.Integer, sa.ForeignKey("service_log.id")),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
    )
    op.create_index("ix_service_log_application", "service_log", ["application_id"])


def downgrade():
    op.drop_index("ix_service_log_application", "service_log")
    op.drop_table("service_log")
    op.drop_index("ix_applications_signed_on", "applications")
    with op.batch_alter_table("applications") as b:
        for c in ("service_officer", *reversed(DATES), "promotion"):
            b.drop_column(c)
