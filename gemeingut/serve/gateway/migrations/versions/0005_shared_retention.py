"""The audit retention and content logging become the deployment's, stored once for every
server of the database (`shared.*` in `settings`), no longer the last start's
(`deployment.*`), which the next start with another value overwrote. An existing database keeps
what its last start recorded: that is the value every server now applies, and a server started
with another one is refused, naming both (`retention.agree_retention`).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NAMES = ("audit_retention_days", "content_log_days")


def upgrade() -> None:
    _move("deployment.", "shared.")


def downgrade() -> None:
    _move("shared.", "deployment.")


def _move(old: str, new: str) -> None:
    conn = op.get_bind()
    for name in NAMES:
        value = conn.execute(
            sa.text("SELECT value FROM settings WHERE name = :name"), {"name": old + name}
        ).scalar()
        conn.execute(sa.text("DELETE FROM settings WHERE name = :name"), {"name": old + name})
        if value and value != "off":  # "" (no period) and "off" both mean none
            conn.execute(
                sa.text("INSERT INTO settings (name, value) VALUES (:name, :value)"),
                {"name": new + name, "value": value},
            )
