"""`gemeingut admin audit`: the audit log's export and retention, and the Art. 30 record."""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gemeingut.cli.admin.common import Db, Operator, Yes, database
from gemeingut.cli.admin.exports import (
    closed_pipe_is_quiet,
    export_format,
    writable_out,
    write_private,
    write_records,
)
from gemeingut.cli.admin.retention import change_retention
from gemeingut.cli.admin.safeguards import (
    OPERATOR_SOURCE,
    confirm,
    exported_person,
    record_admin_action,
)
from gemeingut.cli.admin.tables import plain
from gemeingut.cli.admin.times import MOST_DAYS, point_in_time
from gemeingut.cli.admin.unassignable import say_records_before
from gemeingut.cli.app import admin_audit_app
from gemeingut.cli.common import JsonFlag, given_path, say, user_errors
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, current_language, plural, text
from gemeingut.i18n.visible import visible
from gemeingut.progress import console
from gemeingut.serve.gateway.local_clock import local_date_time

if TYPE_CHECKING:
    from sqlalchemy import Engine


@admin_audit_app.command("export")
@user_errors
def audit_export(
    db: Db,
    out: Annotated[
        Path | None, typer.Option(help="File to write (default: stdout).", parser=given_path)
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="From: 30d (ago), or a date/time (05.12.2026, 05.12.2026 08:00 or "
            "2026-12-05); a date alone means its start; with an offset (2026-12-04T22:00+02:00) "
            "it is converted to UTC, without one it is this machine's local time."
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            help="Until: 1d (ago), or a date/time (read as --since); a date alone means its "
            "end: --until 31.12.2026 includes 31 December, and --since and --until with the "
            "same date export that day."
        ),
    ] = None,
    user: Annotated[
        str | None, typer.Option(help="Only this person's records (Art. 15 DSGVO).")
    ] = None,
    key: Annotated[str | None, typer.Option(help="Only this key's records (its id).")] = None,
    request: Annotated[
        str | None,
        typer.Option(
            help="Only this request's records: the id its answer named in the x-request-id "
            "header or an error's request_id (or the answer's own id, chatcmpl-…)."
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            help="Only the administrators' acts of this operator: the name they acted as (their "
            "account, or --operator / GEMEINGUT_OPERATOR), or its pseudonym from an export."
        ),
    ] = None,
    format: Annotated[
        str | None,
        typer.Option(help="jsonl or csv (default: from the --out file's ending, else jsonl)."),
    ] = None,
    operator: Operator = None,
) -> None:
    """Export audit records (metadata only: no content, no IP addresses; a key is named by
    its pseudonym, `k-…`, as the person is). An export that matches nothing is written empty
    and said on stderr; a --request that no record has exits with 1 and writes nothing."""
    from gemeingut.serve.gateway.audit_log import EXPORT_COLUMNS, export

    format = export_format(format, out)
    writable_out(out)
    start = point_in_time(since, future=False, option="--since") if since is not None else None
    end = (
        point_in_time(until, future=False, option="--until", day_end=True)
        if until is not None
        else None
    )
    if start is not None and end is not None and start >= end:
        raise InputError(
            _("--since {since} is not before --until {until}", since=since, until=until),
            _("swap them, e.g. {example}", example="--since 2026-01-01 --until 2027-01-01"),
        )
    engine = database(db)
    person = exported_person(engine, user) if user else None
    key_id = _key_asked(engine, key) if key else None
    acting = _operator_asked(engine, by) if by is not None else None
    records = export(engine, start, end, person, key_id, acting, request)
    counted = Counted(_exported(engine, records))
    try:
        if request is not None and counted.empty():
            raise NoSuchRequest(
                _("no audit record of the request '{id}' matches", id=visible(request)),
                _(
                    "give the id the answer's x-request-id header or an error's request_id "
                    "named, or the answer's own id (chatcmpl-…); records past the audit "
                    "retention are deleted; --since, --until, --user, --key and --by narrow "
                    "the search too"
                ),
            )
        if out is None:
            with closed_pipe_is_quiet():
                write_records(sys.stdout, counted, format, EXPORT_COLUMNS)
        else:
            write_private(out, lambda f: write_records(f, counted, format, EXPORT_COLUMNS))
    finally:  # the reading is on record, also when it stopped early or found nothing
        decision = f"read:{counted.count}" + (
            f";by:{acting}" if acting else "" if user or key or request else ";all"
        )
        record_admin_action(engine, "admin:audit-export", decision, operator, person, key_id)
    if out is not None:
        say("[green]✓[/]", _("audit records written: {path}", path=out))
    if counted.count == 0:  # a period or a person without records: an answer, said so
        say("[yellow]![/]", _("no audit record matches: the export is empty"))
    if user:  # a person's records from before a new pseudonym key match no name
        say_records_before(engine, user)


class NoSuchRequest(InputError):
    """`--request` found nothing: as grep, exit 1 (the call was right, the record is not
    there), and nothing written."""

    exit_code = 1


class Counted:
    """The records as they are written, counted: the audit record of an export says how
    many it gave out."""

    def __init__(self, records: Iterator[dict[str, Any]]) -> None:
        self._records = records
        self._ahead: list[dict[str, Any]] = []  # read by `empty`, written first
        self.count = 0

    def empty(self) -> bool:
        """Whether no record matches, known before anything is written: a lookup that finds
        nothing leaves no file and no output."""
        if not self._ahead:
            self._ahead = list(itertools.islice(self._records, 1))
        return not self._ahead

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for record in itertools.chain(self._ahead, self._records):
            self.count += 1
            yield record


def _exported(engine: Engine, records: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """`records` with each key id replaced by its pseudonym. Older exports named the key id
    itself, which `keys list` ties to a person."""
    from gemeingut.serve.gateway.identity import key_pseudonym
    from gemeingut.serve.gateway.store import pseudonym_secret

    secret = pseudonym_secret(engine)
    return (
        plain({**r, "key_id": key_pseudonym(secret, str(r["key_id"]))} if r["key_id"] else r)
        for r in records
    )


def _key_asked(engine: Engine, key: str) -> str:
    """The key id `--key` names: its id, or the pseudonym an export shows (`k-…`), found
    among the keys and the log's key ids."""
    from sqlalchemy import select

    from gemeingut.serve.gateway.identity import key_known, key_pseudonym
    from gemeingut.serve.gateway.store import pseudonym_secret
    from gemeingut.serve.gateway.tables import api_keys, audit_log

    if key_known(engine, key):
        return key
    if key.startswith("k-"):
        secret = pseudonym_secret(engine)
        with engine.connect() as conn:
            ids = conn.execute(
                select(api_keys.c.id).union(
                    select(audit_log.c.key_id).where(audit_log.c.key_id.is_not(None))
                )
            ).scalars()
            found = next((i for i in ids if key_pseudonym(secret, i) == key), None)
        if found is not None:
            return found
    raise InputError(
        _("no key '{id}'", id=visible(key)),
        _("give a key id (`gemeingut admin keys list`) or the pseudonym an export shows (k-…)"),
    )


def _operator_asked(engine: Engine, by: str) -> str:
    """The pseudonym under which the log keeps the operator `by` names (as `record_admin_action`
    makes it from the name they acted as), or that pseudonym itself; a name with no act in
    the log is an error: a misspelt name would otherwise export nothing, silently."""
    from sqlalchemy import select

    from gemeingut.serve.gateway.audit_log import AuditLog
    from gemeingut.serve.gateway.tables import audit_log

    name = by.strip()
    candidates = [AuditLog(engine).pseudonym(OPERATOR_SOURCE + name)] if name else []
    if re.fullmatch("[0-9a-f]{16}", name):
        candidates.append(name)  # as an export shows it
    column = audit_log.c.operator_pseudonym
    with engine.connect() as conn:
        found = conn.execute(
            select(column).where(column.in_(candidates)).limit(1)
        ).scalar_one_or_none()
    if found is None:
        raise InputError(
            _(
                "the audit log holds no administrator's act by the operator '{name}'",
                name=visible(by),
            ),
            _(
                "give the name they acted as: their account on the machine that ran "
                "`gemeingut admin`, or what --operator or GEMEINGUT_OPERATOR said (the log "
                "keeps it as a pseudonym, so only the exact name finds it), or the "
                "operator_pseudonym of an export"
            ),
        )
    return found


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
    operator: Operator = None,
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
                when=local_date_time(before),
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
    confirm(yes, _("delete every audit record before {when}?", when=local_date_time(before)))
    removed = purge(engine, before)
    record_admin_action(engine, "admin:audit-purge", f"purged:{removed}", operator)
    deleted = plural(
        removed, _("1 audit record deleted"), _("{count} audit records deleted", count=removed)
    )
    say("[green]✓[/]", deleted)


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
    operator: Operator = None,
) -> None:
    """Show or change the audit retention that every server of this database applies; a
    server started with another --audit-retention-days is refused."""
    change_retention(db, "audit_retention_days", days, off, operator)


@admin_audit_app.command("records")
@user_errors
def audit_records(
    db: Db,
    facts: Annotated[
        Path | None,
        typer.Option(
            help="YAML with what only the controller can state: controller, dpo, purposes, "
            "legal_basis, recipients, transfers.",
            parser=given_path,
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Markdown file (default: stdout).", parser=given_path)
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The record of processing activities (Art. 30 GDPR) of this deployment, from its settings
    and database; what the controller has not stated is marked as missing (exit 1)."""
    from gemeingut.serve.gateway.identity import utcnow
    from gemeingut.serve.gateway.records import as_json as record_json
    from gemeingut.serve.gateway.records import load_facts, read_record
    from gemeingut.serve.gateway.records_text import render_record

    stated = load_facts(facts)  # a mistake in the file first, before the database
    writable_out(out)
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
        write_private(out, lambda f: f.write(document))  # 0600, as every export
        console.print("[green]✓[/] " + text(_("record written: {path}", path=str(out)), lang))
    if record.missing:
        for line in missing_lines(record.missing):
            say("[yellow]![/]", line)  # one unwrapped line each
        raise typer.Exit(1)


def missing_lines(missing: list[str]) -> list[Message]:
    """What the record lacks, grouped by where each item is stated: the facts file cannot
    hold the retention (the database keeps it) nor the deployment (a server's start records
    it), so naming them together would send the reader to the wrong place."""
    from gemeingut.serve.gateway.records import ControllerFacts

    facts = [name for name in missing if name in ControllerFacts.model_fields]
    lines = []
    if facts:
        lines.append(
            _(
                "not stated yet: {fields}; state them in a YAML file given with --facts",
                fields=", ".join(facts),
            )
        )
    if "audit_retention" in missing:
        lines.append(
            _(
                "not set yet: how long the audit log is kept (the deletion period); set it "
                "with {command}",
                command="`gemeingut admin audit retention --db … --days N`",
            )
        )
    if "deployment" in missing:
        lines.append(
            _(
                "not known yet: the served model, its machine and its security policy; a "
                "server records them each time it starts with this database: "
                "`gemeingut serve MODEL --db …`"
            )
        )
    return lines
