"""Per-member group limits (`admin quotas set --group G --per-member …`): each member of a group
is counted on their own, under a counter named by the group and the person
(`tables.member_counter`), which takes two names and a separator: 401 characters, not 200.
The limit itself is a `quota_limits` row of kind `member` named by the group, which needs no
change.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("usage_counters") as table:
        table.alter_column(
            "subject", type_=sa.String(401), existing_type=sa.String(200), existing_nullable=False
        )


def downgrade() -> None:
    op.execute("DELETE FROM usage_counters WHERE subject_kind = 'member'")
    op.execute("DELETE FROM quota_limits WHERE subject_kind = 'member'")
    with op.batch_alter_table("usage_counters") as table:
        table.alter_column(
            "subject", type_=sa.String(200), existing_type=sa.String(401), existing_nullable=False
        )
