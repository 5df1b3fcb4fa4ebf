"""`gemeingut admin content`: a person's logged requests and answers (only with
`serve --content-log-days`), exported on their request or erased."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from gemeingut.cli.admin.common import Db, Operator, Yes, database
from gemeingut.cli.admin.exports import (
    closed_pipe_is_quiet,
    writable_out,
    write_private,
    write_records,
)
from gemeingut.cli.admin.retention import change_retention
from gemeingut.cli.admin.safeguards import confirm, person_pseudonym, record_admin_action
from gemeingut.cli.admin.tables import plain
from gemeingut.cli.admin.times import MOST_DAYS
from gemeingut.cli.app import admin_content_app
from gemeingut.cli.common import given_path, user_errors
from gemeingut.i18n import _, current_language, plural, text
from gemeingut.progress import console


@admin_content_app.command("export")
@user_errors
def content_export(
    user: Annotated[str, typer.Option(help="The person whose logged content to export.")],
    db: Db,
    out: Annotated[
        Path | None, typer.Option(help="JSONL file (default: stdout).", parser=given_path)
    ] = None,
    operator: Operator = None,
) -> None:
    """A person's logged requests and answers (for their request under Art. 15 DSGVO); the
    reading itself is written to the audit log."""
    from gemeingut.serve.gateway.content_log import COLUMNS, of_person

    writable_out(out)
    engine = database(db)
    pseudonym = person_pseudonym(engine, user)
    rows = [plain(row) for row in of_person(engine, pseudonym)]
    record_admin_action(engine, "admin:content-export", f"read:{len(rows)}", operator, pseudonym)
    if out is None:
        with closed_pipe_is_quiet():
            write_records(sys.stdout, rows, "jsonl", COLUMNS)
    else:
        write_private(out, lambda f: write_records(f, rows, "jsonl", COLUMNS))
    said = plural(
        len(rows),
        _("1 logged request of {user} exported", user=user),
        _("{count} logged requests of {user} exported", count=len(rows), user=user),
        none=_("no request of {user} is logged: nothing exported", user=user),
    )
    console.print("[green]✓[/] " + text(said, current_language()))


@admin_content_app.command("delete")
@user_errors
def content_delete(
    user: Annotated[str, typer.Option(help="The person whose logged content to erase.")],
    db: Db,
    yes: Yes = False,
    operator: Operator = None,
) -> None:
    """Erase a person's logged requests and answers (Art. 17 DSGVO); the audit log's metadata
    stays for its own retention, and the erasure is recorded there (a count, no name)."""
    from gemeingut.serve.gateway.content_log import erase_person

    engine = database(db)
    pseudonym = person_pseudonym(engine, user)
    confirm(yes, _("erase every logged request of {user}?", user=user))
    removed = erase_person(engine, pseudonym)
    record_admin_action(engine, "admin:content-delete", f"erased:{removed}", operator)
    said = plural(
        removed,
        _("1 logged request of {user} erased", user=user),
        _("{count} logged requests of {user} erased", count=removed, user=user),
        none=_("no request of {user} is logged: nothing erased", user=user),
    )
    console.print("[green]✓[/] " + text(said, current_language()))


@admin_content_app.command("retention")
@user_errors
def content_retention(
    db: Db,
    days: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MOST_DAYS,
            help="Log what was asked and answered and keep it this many days, on every server "
            "of this database (what serve --content-log-days sets at the first start).",
        ),
    ] = None,
    off: Annotated[
        bool, typer.Option("--off", help="Log no content; what is kept is deleted at once.")
    ] = False,
    operator: Operator = None,
) -> None:
    """Show or change content logging of every server of this database; a server started
    with another --content-log-days is refused."""
    change_retention(db, "content_log_days", days, off, operator)
