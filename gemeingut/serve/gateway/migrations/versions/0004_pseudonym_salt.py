"""A random salt per user for the audit log's pseudonym: SQLite hands a deleted user's id to the
next one (no AUTOINCREMENT), and a pseudonym made from the id gave the newcomer the removed
person's retained records. Users that exist keep their id-based pseudonym (salt NULL), so their
records stay theirs; a new id-based one is never made again.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("pseudonym_salt", sa.String(32), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "pseudonym_salt")  # SQLite 3.35+ drops a column in place
