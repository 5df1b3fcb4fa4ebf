"""Limits of revoked keys go: `admin keys revoke` now removes a key's own limits with it (on a
key that can never be used again they limit nothing, yet `quotas list` showed them as
active); the keys revoked before keep none either.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    keys = sa.table("api_keys", sa.column("id", sa.String), sa.column("revoked_at", sa.DateTime))
    limits = sa.table(
        "quota_limits", sa.column("subject_kind", sa.String), sa.column("subject", sa.String)
    )
    revoked = sa.select(keys.c.id).where(keys.c.revoked_at.is_not(None))
    op.get_bind().execute(
        limits.delete().where(limits.c.subject_kind == "key", limits.c.subject.in_(revoked))
    )


def downgrade() -> None:
    """Nothing to restore: the removed limits limited nothing."""
