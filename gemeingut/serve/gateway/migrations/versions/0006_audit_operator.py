"""Who acted, for an administrator's records (`admin:…` routes): the pseudonym of the operator
(the OS account running `gemeingut admin`, or `--operator`), made as a person's is, so that a
data-protection officer or staff council can see that reads and changes were by one person
without the log naming them. Requests of the API leave it empty.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("operator_pseudonym", sa.String(16), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_log", "operator_pseudonym")
