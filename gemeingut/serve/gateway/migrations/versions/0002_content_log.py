"""Content logging, for deployments that opt in: what was asked and answered, pseudonymised.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False, unique=True),
        sa.Column("user_pseudonym", sa.String(16), nullable=False),
        sa.Column("route", sa.String(40), nullable=False),
        sa.Column("model", sa.String(200), nullable=True),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
    )
    op.create_index("ix_content_log_at", "content_log", ["at"])
    op.create_index("ix_content_log_user_pseudonym", "content_log", ["user_pseudonym"])


def downgrade() -> None:
    op.drop_table("content_log")
