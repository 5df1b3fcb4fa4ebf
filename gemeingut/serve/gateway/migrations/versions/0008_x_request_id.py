"""The id of the HTTP request behind each record (`x_request_id`): the one its response names
in the `x-request-id` header and in an error's `request_id`, so that support finds the record
of a failed request. Records from before keep none.

The settings' `deployment.engine` (the upstream engine's URL, which the record of processing
activities names) may hold the engine's password or a token in its query: it is kept as
scheme, host, port and path only, as the server records it from now on.

Revision ID: 0008
Revises: 0007
"""

from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("x_request_id", sa.String(32), nullable=True))
    settings = sa.table("settings", sa.column("name", sa.String), sa.column("value", sa.String))
    conn = op.get_bind()
    stored = conn.execute(
        sa.select(settings.c.value).where(settings.c.name == "deployment.engine")
    ).scalar_one_or_none()
    if stored and "://" in stored:
        conn.execute(
            settings.update()
            .where(settings.c.name == "deployment.engine")
            .values(value=_without_credentials(stored))
        )


def downgrade() -> None:
    op.drop_column("audit_log", "x_request_id")


def _without_credentials(url: str) -> str:
    """`url` without user, password, query and fragment (a copy of what the server does now,
    so that this revision stays as it ran)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc += f":{port}" if port is not None else ""
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
