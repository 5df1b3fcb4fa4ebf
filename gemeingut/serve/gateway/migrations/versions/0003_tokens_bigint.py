"""Tokens per day in 64 bits: a large group's 3 billion tokens a day overflowed PostgreSQL's
integer (SQLite's integers were always 64-bit; its tables are rebuilt to say so).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quota_limits") as table:
        table.alter_column("tokens_per_day", type_=sa.BigInteger, existing_nullable=True)
    with op.batch_alter_table("usage_counters") as table:  # the tokens counted against it
        table.alter_column("used", type_=sa.BigInteger, existing_nullable=False)
        table.alter_column("reserved", type_=sa.BigInteger, existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("usage_counters") as table:
        table.alter_column("used", type_=sa.Integer, existing_nullable=False)
        table.alter_column("reserved", type_=sa.Integer, existing_nullable=False)
    with op.batch_alter_table("quota_limits") as table:
        table.alter_column("tokens_per_day", type_=sa.Integer, existing_nullable=True)
