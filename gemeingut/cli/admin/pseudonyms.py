"""`gemeingut admin audit new-pseudonym-key`: a new pseudonym key where the old key file is
lost, deliberately. The servers refuse to start without the key (`pseudonym_key.py`); before
this command an operator deleted the key's check value by hand, with no trace of it."""

from __future__ import annotations

from typing import Annotated

import typer

from gemeingut.cli.admin.common import Db, Operator
from gemeingut.cli.admin.safeguards import record_admin_action
from gemeingut.cli.admin.unassignable import DECISION, say_content_before
from gemeingut.cli.app import admin_audit_app
from gemeingut.cli.common import say, user_errors
from gemeingut.errors import InputError
from gemeingut.i18n import _

ROUTE = "admin:audit-new-pseudonym-key"


@admin_audit_app.command("new-pseudonym-key")
@user_errors
def new_pseudonym_key(
    db: Db,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            help="Confirm that the earlier records' pseudonyms may no longer be linkable.",
        ),
    ] = False,
    operator: Operator = None,
) -> None:
    """Start a new pseudonym key in place of a lost key file. The audit log's earlier records
    stay, but their pseudonyms can no longer be tied to anyone: `audit export --user` and
    `--by` find only records from now on, and logged content from before it is found by no
    name (said with its count; `admin content erase --before-key-change` erases it). Stop
    every server of the database first (it is refused while one runs); the event is recorded
    in the audit log and in the record of processing activities."""
    from gemeingut.serve.gateway.store import open_store, pseudonym_key_file

    if not yes:
        raise InputError(
            _(
                "a new pseudonym key parts the audit log's earlier records from every person "
                "and operator for good"
            ),
            _("stop every server of this database, then run it again with --yes"),
        )
    engine = open_store(db, create=False, lost_key=True)
    record_admin_action(engine, ROUTE, DECISION, operator)
    say(
        "[green]✓[/]",
        _(
            "new pseudonym key at {path}; the earlier records' pseudonyms belong to nobody who "
            "can be named any more",
            path=pseudonym_key_file(engine),
        ),
    )
    say(
        "[yellow]![/]",
        _("give every server of this database a copy of the new file before it starts"),
    )
    say_content_before(engine)
