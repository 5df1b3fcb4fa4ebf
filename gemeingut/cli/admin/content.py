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
from gemeingut.cli.admin.retention import change_retention, say_setting
from gemeingut.cli.admin.safeguards import confirm, person_pseudonym, record_admin_action
from gemeingut.cli.admin.tables import plain
from gemeingut.cli.admin.times import MOST_DAYS
from gemeingut.cli.admin.unassignable import key_changed_at, say_content_before
from gemeingut.cli.app import admin_content_app
from gemeingut.cli.common import given_path, say, user_errors
from gemeingut.errors import InputError
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
    from gemeingut.serve.gateway.retention import CONTENT_DAYS

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
    if not rows:  # why there is nothing: logging is off, or what was logged is past its days
        say_setting(engine, CONTENT_DAYS)
    say_content_before(engine, user)


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
    say_content_before(engine, user)


@admin_content_app.command("erase")
@user_errors
def content_erase(
    db: Db,
    before_key_change: Annotated[
        bool,
        typer.Option(
            "--before-key-change",
            help="The requests logged before the pseudonym key was last replaced (`admin audit "
            "new-pseudonym-key`): no name leads to them any more.",
        ),
    ] = False,
    yes: Yes = False,
    operator: Operator = None,
) -> None:
    """Erase logged requests and answers that no person can be found by any more (each may
    be anyone's, for whom `content delete --user` cannot erase it); the erasure is recorded
    in the audit log (a count)."""
    from gemeingut.serve.gateway.content_log import purge_content
    from gemeingut.serve.gateway.local_clock import local_date_time

    if not before_key_change:
        raise InputError(
            _("say which logged requests to erase"),
            _(
                "--before-key-change erases those from before a new pseudonym key; a "
                "person's are erased by `gemeingut admin content delete --user NAME`"
            ),
        )
    engine = database(db)
    changed = key_changed_at(engine)
    if changed is None:
        raise InputError(
            _(
                "the pseudonym key of this database was never replaced: every logged request "
                "still leads to its person"
            ),
            _("erase a person's with `gemeingut admin content delete --user NAME`"),
        )
    when = local_date_time(changed)
    confirm(
        yes,
        _("erase every logged request from before the new pseudonym key of {when}?", when=when),
    )
    removed = purge_content(engine, changed)
    record_admin_action(engine, "admin:content-erase", f"erased_before_key:{removed}", operator)
    said = plural(
        removed,
        _("1 logged request from before the new pseudonym key of {when} erased", when=when),
        _(
            "{count} logged requests from before the new pseudonym key of {when} erased",
            count=removed,
            when=when,
        ),
        none=_(
            "no request from before the new pseudonym key of {when} is logged: nothing erased",
            when=when,
        ),
    )
    say("[green]✓[/]", said)


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


@admin_content_app.command("names")
@user_errors
def content_names(
    db: Db,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep",
            help="Keep person names in what is logged from now on, on every server of this "
            "database (other personal data is still replaced).",
        ),
    ] = False,
    redact: Annotated[
        bool,
        typer.Option("--redact", help="Replace person names too, as by default."),
    ] = False,
    operator: Operator = None,
) -> None:
    """Show or change whether logged content keeps person names: replaced by default, as in
    community findings (data minimisation, Art. 5(1)(c) DSGVO); running servers follow with
    their next request, and /v1/policy says it. The change is recorded in the audit log."""
    from gemeingut.serve.gateway.content_privacy import (
        content_kept_said,
        kinds_replaced,
        names_said,
        redacted_kinds,
        set_names_kept,
    )
    from gemeingut.serve.gateway.retention import CONTENT_DAYS, OFF, stored_values

    if keep and redact:
        raise InputError(
            _("--keep and --redact exclude each other"),
            _("give one of them; without either the command shows what is kept"),
        )
    engine = database(db)
    if stored_values(engine).get(CONTENT_DAYS, OFF) == OFF:  # what is kept of nothing logged
        say_setting(engine, CONTENT_DAYS)
    if not keep and not redact:
        say("•", content_kept_said(redacted_kinds(engine)))
        return
    before = set_names_kept(engine, keep)
    record_admin_action(engine, "admin:content-names", "keep" if keep else "redact", operator)
    said = _(
        "person names in logged content of every server of this database: {now} (before: {before})",
        now=names_said(keep),
        before=names_said(before),
    )
    say("[green]✓[/]", said)
    say("•", content_kept_said(kinds_replaced(keep)))
    say("•", _("what is logged already stays as it was stored, until its days are over"))
