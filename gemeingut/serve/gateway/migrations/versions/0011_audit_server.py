"""Which server process wrote each audit record (`server`, the key the record of processing
activities keeps each process's settings under), so that a server killed mid-load is not
taken as back by its own last answers: its outage starts at the last record it wrote and ends
at a request answered by another process, or at its restart. Records from before keep none
and are read as before (any answer ends an outage).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("server", sa.String(12), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_log", "server")
