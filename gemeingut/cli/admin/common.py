"""What every admin command shares: `--db` and the database it opens, `--yes`, `--operator`
(who acts, for the audit log), and the refusal of a key, user or group that does not exist."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine


Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do it without asking (scripts, cron).")]
Operator = Annotated[
    str | None,
    typer.Option(
        envvar="GEMEINGUT_OPERATOR",
        help="Who acts, for the audit log (kept as a pseudonym); default: the account running "
        "the command.",
    ),
]
Db = Annotated[
    str,
    typer.Option(
        envvar="GEMEINGUT_DB",
        help="The server's database: a SQLite file or postgresql://user:pw@host/db.",
    ),
]


def database(db: str, create: bool = False) -> Engine:
    """The database at `db`; only commands that add users or groups may create a new one
    (elsewhere a mistyped path would look like an empty database)."""
    from gemeingut.serve.gateway.store import open_store

    return open_store(db, create=create)


def existing(engine: Engine, kind: str, name: str) -> None:
    """Refuses a key, user or group (`kind`) that does not exist, pointing at the list that
    shows the names: an operator's typo is likelier than one still to be created, and a command
    acting on nobody would otherwise say it did nothing (an empty table, 0 places freed)."""
    from gemeingut.serve.gateway.quotas import check_subject

    with engine.connect() as conn:
        check_subject(conn, kind, name)
