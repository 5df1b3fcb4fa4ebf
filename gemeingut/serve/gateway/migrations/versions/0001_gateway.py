"""The gateway's first schema: users, groups, keys, quotas, usage counters, audit log, settings.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
    )
    op.create_table(
        "groups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "memberships",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "group_id",
            sa.Integer,
            sa.ForeignKey("groups.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("models", sa.JSON, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=True),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
        sa.Column("last_used_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "quota_limits",
        sa.Column("subject_kind", sa.String(8), primary_key=True),
        sa.Column("subject", sa.String(200), primary_key=True),
        sa.Column("requests_per_minute", sa.Integer, nullable=True),
        sa.Column("tokens_per_day", sa.Integer, nullable=True),
        sa.Column("concurrent_streams", sa.Integer, nullable=True),
    )
    op.create_table(
        "usage_counters",
        sa.Column("subject_kind", sa.String(8), primary_key=True),
        sa.Column("subject", sa.String(200), primary_key=True),
        sa.Column("window", sa.String(32), primary_key=True),
        sa.Column("used", sa.Integer, nullable=False),
        sa.Column("reserved", sa.Integer, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False, unique=True),
        sa.Column("user_pseudonym", sa.String(16), nullable=True),
        sa.Column("key_id", sa.String(32), nullable=True),
        sa.Column("route", sa.String(40), nullable=False),
        sa.Column("model", sa.String(200), nullable=True),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(80), nullable=False),
        sa.Column("prompt_tokens", sa.Integer, nullable=True),
        sa.Column("completion_tokens", sa.Integer, nullable=True),
        sa.Column("duration_ms", sa.Integer, nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "settings",
        "audit_log",
        "usage_counters",
        "quota_limits",
        "api_keys",
        "memberships",
        "groups",
        "users",
    ):
        op.drop_table(table)
