"""`gemeingut admin audit`: the audit log's export and retention, and the Art. 30 record."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gemeingut.cli.admin.common import Db, Yes, database
from gemeingut.cli.admin.exports import closed_pipe_is_quiet, write_private, write_records
from gemeingut.cli.admin.retention import change_retention
from gemeingut.cli.admin.safeguards import confirm, person_pseudonym, record_admin_action
from gemeingut.cli.admin.tables import plain
from gemeingut.cli.admin.times import MOST_DAYS, local_time, point_in_time
from gemeingut.cli.app import admin_audit_app
from gemeingut.cli.common import JsonFlag, say, user_errors
from gemeingut.errors import InputError
from gemeingut.i18n import _, current_language, text
from gemeingut.progress import console

if TYPE_CHECKING:
    from sqlalchemy import Engine


@admin_audit_app.command("export")
@user_errors
def audit_export(
    db: Db,
    out: Annotated[Path | None, typer.Option(help="File to write (default: stdout).")] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="From: 30d (ago), or a date/time; with an offset (2026-12-04T22:00+02:00) it "
            "is converted to UTC, without one it is this machine's local time."
        ),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Until: 1d (ago), or a date/time (read as --since).")
    ] = None,
    user: Annotated[
        str | None, typer.Option(help="Only this person's records (Art. 15 DSGVO).")
    ] = None,
    key: Annotated[str | None, typer.Option(help="Only this key's records (its id).")] = None,
    format: Annotated[str, typer.Option(help="jsonl or csv.")] = "jsonl",
) -> None:
    """Export audit records (metadata only: no content, no IP addresses; a key is named by
    its pseudonym, `k-…`, as the person is)."""
    from gemeingut.serve.gateway.audit_log import EXPORT_COLUMNS, export

    if format not in ("jsonl", "csv"):
        raise InputError(_("unknown format {name!r}", name=format), _("jsonl or csv"))
    start = point_in_time(since, future=False, option="--since") if since else None
    end = point_in_time(until, future=False, option="--until") if until else None
    if start is not None and end is not None and start >= end:
        raise InputError(
            _("--since {since} is not before --until {until}", since=since, until=until),
            _("swap them, e.g. {example}", example="--since 2026-01-01 --until 2027-01-01"),
        )
    engine = database(db)
    person = person_pseudonym(engine, user) if user else None
    records = _exported(engine, export(engine, start, end, person, key), key)
    if out is None:
        with closed_pipe_is_quiet():
            write_records(sys.stdout, records, format, EXPORT_COLUMNS)
        return
    write_private(out, lambda f: write_records(f, records, format, EXPORT_COLUMNS))
    say("[green]✓[/]", _("audit records written: {path}", path=out))


def _exported(
    engine: Engine, records: Iterator[dict[str, Any]], key: str | None
) -> Iterator[dict[str, Any]]:
    """`records` with each key id replaced by its pseudonym (`key`, the one asked for, must be
    known). Older exports named the key id itself, which `keys list` ties to a person."""
    from gemeingut.serve.gateway.identity import key_known, key_pseudonym
    from gemeingut.serve.gateway.store import pseudonym_secret

    if key is not None and not key_known(engine, key):
        raise InputError(_("no key {id!r}", id=key), _("see `gemeingut admin keys list`"))
    secret = pseudonym_secret(engine)
    return (
        plain({**r, "key_id": key_pseudonym(secret, str(r["key_id"]))} if r["key_id"] else r)
        for r in records
    )


@admin_audit_app.command("purge")
@user_errors
def audit_purge(
    db: Db,
    older_than: Annotated[
        str,
        typer.Option(help="Retention: 90d, or a date/time (read as for `audit export --since`)."),
    ],
    yes: Yes = False,
    force: Annotated[
        bool,
        typer.Option(
            help="Also delete records younger than the deployment's audit retention "
            "(`admin audit retention`)."
        ),
    ] = False,
) -> None:
    """Delete audit records older than the retention period; the purge itself is recorded."""
    from gemeingut.serve.gateway.audit_log import purge
    from gemeingut.serve.gateway.identity import utcnow
    from gemeingut.serve.gateway.retention import stored_retention

    before = point_in_time(older_than, future=False, option="--older-than")
    if before > utcnow():
        raise InputError(
            _(
                "--older-than {value} is in the future ({when}): it would delete every record, "
                "also those of earlier purges",
                value=older_than,
                when=local_time(before),
            ),
            _(
                "give a duration or a past date, e.g. {example}; --older-than 0d deletes "
                "every record up to now",
                example="--older-than 90d",
            ),
        )
    engine = database(db)
    days = stored_retention(engine).audit_days
    if days and before > utcnow() - timedelta(days=days) and not force:
        raise InputError(
            _(
                "--older-than {value} would delete records younger than the deployment's "
                "retention of {days} days",
                value=older_than,
                days=days,
            ),
            _("the server deletes them itself when they are due; --force deletes them anyway"),
        )
    confirm(yes, _("delete every audit record before {when}?", when=local_time(before)))
    removed = purge(engine, before)
    record_admin_action(engine, "admin:audit-purge", f"purged:{removed}")
    say("[green]✓[/]", _("{count} audit records deleted", count=removed))


@admin_audit_app.command("retention")
@user_errors
def audit_retention(
    db: Db,
    days: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MOST_DAYS,
            help="Delete audit records older than this many days, on every server of this "
            "database (what serve --audit-retention-days sets at the first start).",
        ),
    ] = None,
    off: Annotated[
        bool,
        typer.Option(
            "--off", help="No time limit: records stay until `admin audit purge` deletes them."
        ),
    ] = False,
) -> None:
    """Show or change the audit retention that every server of this database applies; a
    server started with another --audit-retention-days is refused."""
    change_retention(db, "audit_retention_days", days, off)


@admin_audit_app.command("records")
@user_errors
def audit_records(
    db: Db,
    facts: Annotated[
        Path | None,
        typer.Option(
            help="YAML with what only the controller can state: controller, dpo, purposes, "
            "legal_basis, recipients, transfers."
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Markdown file (default: stdout).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The record of processing activities (Art. 30 GDPR) of this deployment, from its settings
    and database; what the controller has not stated is marked as missing (exit 1)."""
    from gemeingut.serve.gateway.identity import utcnow
    from gemeingut.serve.gateway.records import as_json as record_json
    from gemeingut.serve.gateway.records import load_facts, read_record
    from gemeingut.serve.gateway.records_text import render_record
    from gemeingut.workspace import write_text_atomic

    stated = load_facts(facts)  # a mistake in the file first, before the database
    record = read_record(database(db), stated, utcnow())
    lang = current_language()
    document = (
        json.dumps(record_json(record), indent=2, ensure_ascii=False) + "\n"
        if as_json
        else render_record(record, lang)
    )
    if out is None:
        typer.echo(document, nl=False)
    else:
        write_text_atomic(out, document)
        console.print("[green]✓[/] " + text(_("record written: {path}", path=str(out)), lang))
    if record.missing:
        console.print(
            "[yellow]![/] "
            + text(_("not stated yet: {fields}", fields=", ".join(record.missing)), lang)
        )
        raise typer.Exit(1)
