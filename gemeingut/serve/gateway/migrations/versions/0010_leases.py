"""Leases: what each request still running holds (reserved tokens, stream places) and which
server process holds it, with that process's heartbeat, so that a process killed mid-request
no longer blocks its user's streams for an hour nor keeps its tokens reserved until midnight.
Both tables start empty: what requests held before the upgrade is freed as before (the hour's
lease of a stream place, the day's end of reserved tokens).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "server_processes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("machine", sa.String(200), nullable=True),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("beat_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "leases",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("process", sa.String(32), nullable=False),
        sa.Column("place", sa.String(32), nullable=True),
        sa.Column("tokens", sa.BigInteger, nullable=False),
        sa.Column("counters", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_table("server_processes")
