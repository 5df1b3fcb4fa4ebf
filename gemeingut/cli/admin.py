"""`gemeingut admin`: users, groups, API keys, quotas and the audit log of a server's database.

Every command takes `--db` (a SQLite file or a postgresql:// URL; or GEMEINGUT_DB), the same
database `gemeingut serve --db` uses; the schema is migrated on first use. Only `users add` and
`groups add` create a SQLite file that is not there yet; every other command refuses such a
path, so that a typo does not look like a database without users.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from gemeingut.cli.app import (
    admin_audit_app,
    admin_content_app,
    admin_groups_app,
    admin_keys_app,
    admin_quotas_app,
    admin_users_app,
)
from gemeingut.cli.common import JsonFlag, say, user_errors
from gemeingut.errors import InputError
from gemeingut.i18n import _, current_language, plural, text
from gemeingut.progress import console

Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do it without asking (scripts, cron).")]
Db = Annotated[
    str,
    typer.Option(
        envvar="GEMEINGUT_DB",
        help="The server's database: a SQLite file or postgresql://user:pw@host/db.",
    ),
]
DURATION = re.compile(r"^(\d+)\s*([dhm])$")
MOST_DAYS = 36500  # the longest duration: 100 years
ID_COLUMNS = ("id", "subject")  # what an operator copies into the next command
ID_CHARS = 32  # a key id column's width
PIPE_WIDTH = 100_000  # a table's width when stdout is no terminal: no column is cut


def _engine(db: str, create: bool = False):
    """The database at `db`; only commands that add users or groups may create a new one
    (elsewhere a mistyped path would look like an empty database)."""
    from gemeingut.serve.gateway.store import open_store

    return open_store(db, create=create)


# A table's headings and values as a person reads them (German by default); `--json` keeps
# the column names and values as they are, for scripts. The quota limits keep their names:
# they are the words the options and the server's 429 messages use.
_HEADINGS = {
    "name": _("name"),
    "groups": _("groups"),
    "disabled": _("disabled"),
    "created_at": _("created"),
    "id": _("id"),
    "user": _("user"),
    "models": _("models"),
    "expires_at": _("expires"),
    "revoked_at": _("revoked"),
    "last_used_at": _("last used"),
    "subject_kind": _("kind"),
    "subject": _("name"),
    "tokens_today": _("tokens today"),
    "open_streams": _("open streams"),
}
_VALUES = {
    "models": {"all": _("all")},
    "subject_kind": {"key": _("key"), "user": _("user"), "group": _("group")},
}


def _print_rows(rows: list[dict[str, Any]], as_json: bool, columns: tuple[str, ...]) -> None:
    if as_json:
        shown = [_plain(row) for row in rows]
        typer.echo(json.dumps(shown, indent=2, default=str, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    cells = [[_cell(column, row.get(column)) for column in columns] for row in rows]
    table = Table()
    for i, column in enumerate(columns):
        # Nothing is cut off with an ellipsis, also in an 80-column pipe or cron mail: ids keep
        # their full width, longer values fold onto the next line.
        widest = max((len(r[i]) for r in cells), default=0)
        wide = min(widest, ID_CHARS) if column in ID_COLUMNS else None
        table.add_column(text(_HEADINGS.get(column, column)), min_width=wide, overflow="fold")
    for row in cells:
        table.add_row(*row)
    # On a terminal the table fits its width; into a pipe or a file (`| cat`, cron mail) no
    # width cuts a column off: a script gets every column.
    piped = not sys.stdout.isatty()
    Console(file=sys.stdout, width=PIPE_WIDTH if piped else None).print(table)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A row for JSON/CSV: times in ISO 8601 UTC with `Z`, the rest as it is."""
    return {
        name: _iso(value) if isinstance(value, datetime) else value for name, value in row.items()
    }


def _iso(value: datetime) -> str:
    """A stored (naive UTC) time as ISO 8601 that says it is UTC."""
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def _local(value: datetime) -> str:
    """A stored (naive UTC) time in this machine's local time, with its offset: what a person
    at the machine typed (`--expires 2027-01-31T18:00`) reads back as they typed it."""
    local = value.replace(tzinfo=UTC).astimezone()
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return text(_("yes") if value else _("no"))
    if isinstance(value, datetime):
        return _local(value)
    shown = _VALUES.get(column, {}).get(value)
    return text(shown) if shown is not None else str(value)


def point_in_time(value: str, future: bool, option: str) -> datetime:
    """Naive UTC, as the tables keep time, for `value` of `option`: `30d`, `12h`, `15m` from
    now (future) or ago; or an ISO date/time, converted from its offset or, without one, from
    this machine's local time (what a person at it means by 08:00)."""
    from gemeingut.serve.gateway.identity import utcnow

    out_of_range = InputError(
        _(
            "{option} {value} is out of range: at most {days} days (100 years) from now, or a "
            "date up to 9999-12-31",
            option=option,
            value=value,
            days=MOST_DAYS,
        ),
        _("e.g. {example}", example=f"{option} 90d"),
    )
    found = DURATION.match(value.strip())
    if found:
        unit = {"d": "days", "h": "hours", "m": "minutes"}[found[2]]
        try:
            delta = timedelta(**{unit: int(found[1])})
        except OverflowError:
            raise out_of_range from None
        if delta > timedelta(days=MOST_DAYS):
            raise out_of_range
        return utcnow() + delta if future else utcnow() - delta
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(
            _("{option}: {value!r} is neither a duration nor a date", option=option, value=value),
            _("write e.g. 30d, 12h, 2027-01-31 or 2027-01-31T08:00+01:00"),
        ) from None
    try:
        # A naive time is local: astimezone() reads it so; then UTC, naive as the tables are.
        return when.astimezone(UTC).replace(tzinfo=None)
    except (OverflowError, ValueError, OSError):
        raise out_of_range from None


# --- users and groups ---------------------------------------------------------------------


@admin_users_app.command("add")
@user_errors
def users_add(
    name: Annotated[str, typer.Argument(help="User name, e.g. a login or e-mail.")],
    db: Db,
    group: Annotated[list[str] | None, typer.Option(help="Group to join (repeatable).")] = None,
) -> None:
    """Add a user."""
    from gemeingut.serve.gateway.identity import add_user

    add_user(_engine(db, create=True), name, tuple(group or ()))
    say("[green]✓[/]", _("user {name} added", name=name))


@admin_users_app.command("list")
@user_errors
def users_list(db: Db, as_json: JsonFlag = False) -> None:
    """List users with their groups."""
    from gemeingut.serve.gateway.identity import list_users

    rows = list_users(_engine(db))
    if not as_json:  # JSON keeps the groups as a list
        rows = [{**r, "groups": ", ".join(r["groups"])} for r in rows]
    _print_rows(rows, as_json, ("name", "groups", "disabled", "created_at"))


@admin_users_app.command("remove")
@user_errors
def users_remove(
    name: Annotated[str, typer.Argument(help="The person to remove.")],
    db: Db,
    yes: Yes = False,
) -> None:
    """Remove a person with their keys, memberships, limits and logged content (Art. 17 DSGVO);
    the audit log keeps its pseudonymised records for its retention."""
    from gemeingut.serve.gateway.identity import remove_user, user_pseudonym_source

    engine = _engine(db)
    pseudonym = _audit(engine).pseudonym(user_pseudonym_source(engine, name))
    _confirm(yes, _("remove {name} with all their keys and logged content?", name=name))
    removed = remove_user(engine, name, pseudonym)
    _record_admin_action(engine, "admin:users-remove", f"removed:keys={removed['keys']}")
    said = _(
        "user {name} removed ({keys} keys, {content} logged requests)",
        name=name,
        keys=removed["keys"],
        content=removed["content"],
    )
    say("[green]✓[/]", said)


@admin_users_app.command("disable")
@user_errors
def users_disable(name: str, db: Db) -> None:
    """Stop every key of a user from working (until `enable`)."""
    from gemeingut.serve.gateway.identity import set_user_disabled

    set_user_disabled(_engine(db), name, True)
    say("[green]✓[/]", _("user {name} disabled", name=name))


@admin_users_app.command("enable")
@user_errors
def users_enable(name: str, db: Db) -> None:
    """Let a disabled user's keys work again."""
    from gemeingut.serve.gateway.identity import set_user_disabled

    set_user_disabled(_engine(db), name, False)
    say("[green]✓[/]", _("user {name} enabled", name=name))


@admin_groups_app.command("add")
@user_errors
def groups_add(name: str, db: Db) -> None:
    """Add a group."""
    from gemeingut.serve.gateway.identity import add_group

    add_group(_engine(db, create=True), name)
    say("[green]✓[/]", _("group {name} added", name=name))


@admin_groups_app.command("join")
@user_errors
def groups_join(group: str, user: str, db: Db) -> None:
    """Put USER into GROUP."""
    from gemeingut.serve.gateway.identity import add_member

    add_member(_engine(db), user, group)
    say("[green]✓[/]", _("{user} is in {group}", user=user, group=group))


@admin_groups_app.command("leave")
@user_errors
def groups_leave(group: str, user: str, db: Db) -> None:
    """Take USER out of GROUP."""
    from gemeingut.serve.gateway.identity import remove_member

    remove_member(_engine(db), user, group)
    say("[green]✓[/]", _("{user} is no longer in {group}", user=user, group=group))


@admin_groups_app.command("remove")
@user_errors
def groups_remove(
    group: str,
    db: Db,
    yes: Yes = False,
) -> None:
    """Remove a group and its limits; its members stay, without it (a group that still has
    members only with --yes)."""
    from gemeingut.serve.gateway.identity import members, remove_group

    engine = _engine(db)
    count = members(engine, group)
    if count and not yes:
        people = plural(count, _("1 member"), _("{count} members", count=count))
        raise InputError(
            _("group {name} still has {members}", name=group, members=people),
            _("add --yes to remove it with its memberships, or `admin groups leave` first"),
        )
    remove_group(engine, group)
    say("[green]✓[/]", _("group {name} removed", name=group))


@admin_groups_app.command("list")
@user_errors
def groups_list(db: Db, as_json: JsonFlag = False) -> None:
    """List groups."""
    from gemeingut.serve.gateway.identity import list_groups

    _print_rows(list_groups(_engine(db)), as_json, ("name", "created_at"))


# --- keys ---------------------------------------------------------------------------------


@admin_keys_app.command("create")
@user_errors
def keys_create(
    db: Db,
    user: Annotated[str, typer.Option(help="Whose key it is.")],
    name: Annotated[str, typer.Option(help="What the key is for, e.g. laptop.")] = "",
    model: Annotated[
        list[str] | None, typer.Option(help="Model the key may use (repeatable; default: all).")
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(
            help="Expiry, in the future: 90d, 12h, or a date/time; with an offset "
            "(2027-01-31T18:00+01:00) it is converted to UTC, without one it is this machine's "
            "local time; default: never."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an API key. It is printed once and cannot be shown again."""
    from gemeingut.serve.gateway.identity import create_key, utcnow

    expires_at = point_in_time(expires, future=True, option="--expires") if expires else None
    if expires_at is not None and expires_at <= utcnow():
        raise InputError(
            _(
                "--expires {value} is in the past ({when} UTC): the key would never work",
                value=expires,
                when=f"{expires_at:%Y-%m-%d %H:%M}",
            ),
            _("give a time in the future, e.g. {example}", example="--expires 90d"),
        )
    key_id, key = create_key(_engine(db), user, name, tuple(model) if model else None, expires_at)
    if model:
        say(
            "[yellow]![/]",
            _(
                "the database does not know which models exist: the server decides; a key "
                "for a model it does not serve is refused there ({models})",
                models=", ".join(model),
            ),
        )
    if as_json:
        shown = {"id": key_id, "key": key, "expires_at": _iso(expires_at) if expires_at else None}
        typer.echo(json.dumps(shown))
        return
    say("[green]✓[/]", _("key {id} for {user} (shown once; store it now):", id=key_id, user=user))
    typer.echo(key)


@admin_keys_app.command("list")
@user_errors
def keys_list(
    db: Db,
    user: Annotated[str | None, typer.Option(help="Only this user's keys.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List keys (never their secrets) with scope, expiry, revocation and last use."""
    from gemeingut.serve.gateway.identity import list_keys, user_id

    engine = _engine(db)
    if user is not None:
        user_id(engine, user)  # "no user 'ghost'" rather than an empty table
    rows = [
        {**r, "models": "all" if r["models"] is None else ", ".join(r["models"])}
        for r in list_keys(engine, user)
    ]
    columns = ("id", "user", "name", "models", "expires_at", "revoked_at", "last_used_at")
    _print_rows(rows, as_json, columns)


@admin_keys_app.command("revoke")
@user_errors
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id.")], db: Db) -> None:
    """Revoke a key at once (to replace it with one like it, use `keys rotate`)."""
    from gemeingut.serve.gateway.identity import revoke_key

    revoke_key(_engine(db), key_id)
    say("[green]✓[/]", _("key {id} revoked", id=key_id))


@admin_keys_app.command("rotate")
@user_errors
def keys_rotate(
    key_id: Annotated[str, typer.Argument(help="The id of the key to replace.")],
    db: Db,
    as_json: JsonFlag = False,
) -> None:
    """Replace a key: a new one with the same user, name, models, expiry and own limits; the
    old one is revoked at once. The new key is printed once."""
    from gemeingut.serve.gateway.identity import rotate_key

    new_id, key = rotate_key(_engine(db), key_id)
    if as_json:
        typer.echo(json.dumps({"id": new_id, "key": key, "replaces": key_id}))
        return
    said = _("key {id} replaces {old} (shown once; store it now):", id=new_id, old=key_id)
    say("[green]✓[/]", said)
    typer.echo(key)


# --- quotas -------------------------------------------------------------------------------


@admin_quotas_app.command("set")
@user_errors
def quotas_set(
    db: Db,
    key: Annotated[str | None, typer.Option(help="A key id.")] = None,
    user: Annotated[str | None, typer.Option(help="A user name.")] = None,
    group: Annotated[str | None, typer.Option(help="A group name.")] = None,
    requests_per_minute: Annotated[
        int | None, typer.Option(min=0, help="Requests a minute (0 blocks).")
    ] = None,
    tokens_per_day: Annotated[
        int | None,
        typer.Option(min=0, help="Tokens a day, prompt and answer (UTC day; 0 blocks)."),
    ] = None,
    concurrent_streams: Annotated[
        int | None, typer.Option(min=0, help="Requests running at once (0 blocks).")
    ] = None,
    lift: Annotated[list[str] | None, typer.Option(help="Remove this limit (repeatable).")] = None,
) -> None:
    """Set limits for one key, user or group; a request must stay within all that apply."""
    from gemeingut.serve.gateway.identity import forget_empty_limits
    from gemeingut.serve.gateway.quotas import LIMITS, set_limits

    subjects = [(k, v) for k, v in (("key", key), ("user", user), ("group", group)) if v]
    if len(subjects) != 1:
        raise InputError(
            _("name exactly one of --key, --user, --group"),
            _("e.g. {example}", example="--group schule"),
        )
    limits: dict[str, int | None] = {
        name: value
        for name, value in zip(
            LIMITS, (requests_per_minute, tokens_per_day, concurrent_streams), strict=True
        )
        if value is not None
    }
    for name in lift or ():
        name = name.replace("-", "_")
        if limits.get(name) is not None:
            raise InputError(
                _("{limit} is both set and lifted", limit=name),
                _(
                    "give either --{option} or --lift {limit}",
                    option=name.replace("_", "-"),
                    limit=name,
                ),
            )
        limits[name] = None
    if not limits:
        raise InputError(
            _("no limit given"), _("e.g. {example}", example="--tokens-per-day 200000")
        )
    kind, subject = subjects[0]
    engine = _engine(db)
    set_limits(engine, kind, subject, **limits)
    forget_empty_limits(engine, kind, subject)
    who = {
        "key": _("key {name}", name=subject),
        "user": _("user {name}", name=subject),
        "group": _("group {name}", name=subject),
    }[kind]
    shown = ", ".join(
        text(
            _("{limit} lifted", limit=name)
            if value is None
            else _("{limit} {value}", limit=name, value=value)
        )
        for name, value in limits.items()
    )
    say("[green]✓[/]", _("limits of {who} set: {limits}", who=who, limits=shown))


@admin_quotas_app.command("list")
@user_errors
def quotas_list(db: Db, as_json: JsonFlag = False) -> None:
    """List every limit, with today's use."""
    from gemeingut.serve.gateway.identity import utcnow
    from gemeingut.serve.gateway.quotas import list_limits, usage

    engine = _engine(db)
    now = utcnow()
    rows = [
        {**row, **usage(engine, str(row["subject_kind"]), str(row["subject"]), now)}
        for row in list_limits(engine)
    ]
    columns = (
        "subject_kind",
        "subject",
        "requests_per_minute",
        "tokens_per_day",
        "concurrent_streams",
        "tokens_today",
        "open_streams",
    )
    _print_rows(rows, as_json, columns)


# --- audit log ----------------------------------------------------------------------------


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
    engine = _engine(db)
    records = _exported(engine, export(engine, start, end, _person(engine, user), key), key)
    if out is None:
        with _closed_pipe_is_quiet():
            _write_records(sys.stdout, records, format, EXPORT_COLUMNS)
        return
    _write_private(out, lambda f: _write_records(f, records, format, EXPORT_COLUMNS))
    say("[green]✓[/]", _("audit records written: {path}", path=out))


def _person(engine: Any, user: str | None) -> str | None:
    """The pseudonym of `user`, if one is asked for (an error if there is no such person)."""
    from gemeingut.serve.gateway.identity import user_pseudonym_source

    return _audit(engine).pseudonym(user_pseudonym_source(engine, user)) if user else None


def _exported(
    engine: Any, records: Iterator[dict[str, Any]], key: str | None
) -> Iterator[dict[str, Any]]:
    """`records` with each key id replaced by its pseudonym (`key`, the one asked for, must be
    known). Older exports named the key id itself, which `keys list` ties to a person."""
    from gemeingut.serve.gateway.identity import key_known, key_pseudonym
    from gemeingut.serve.gateway.store import pseudonym_secret

    if key is not None and not key_known(engine, key):
        raise InputError(_("no key {id!r}", id=key), _("see `gemeingut admin keys list`"))
    secret = pseudonym_secret(engine)
    return (
        _plain({**r, "key_id": key_pseudonym(secret, str(r["key_id"]))} if r["key_id"] else r)
        for r in records
    )


def _write_records(f: Any, records: Any, format: str, columns: tuple[str, ...]) -> None:
    if format == "csv":
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for record in records:
            writer.writerow(record)
    else:
        for record in records:
            f.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")


def _write_private(out: Path, write: Any) -> None:
    """Write `out` readable by its owner only (0600: personal data), whole or not at all."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            write(f)
        os.replace(partial, out)
    finally:
        Path(partial).unlink(missing_ok=True)


@contextmanager
def _closed_pipe_is_quiet() -> Iterator[None]:
    """`admin audit export | head`: a reader that has read enough is no error."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would flush again at exit and complain: point stdout at nothing first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None


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
        typer.Option(help="Also delete records younger than the server's --audit-retention-days."),
    ] = False,
) -> None:
    """Delete audit records older than the retention period; the purge itself is recorded."""
    from gemeingut.serve.gateway.audit_log import purge
    from gemeingut.serve.gateway.identity import utcnow
    from gemeingut.serve.gateway.records import deployment

    engine = _engine(db)
    before = point_in_time(older_than, future=False, option="--older-than")
    days = deployment(engine).get("audit_retention_days")
    if days and before > utcnow() - timedelta(days=int(days)) and not force:
        raise InputError(
            _(
                "--older-than {value} would delete records younger than the deployment's "
                "retention of {days} days",
                value=older_than,
                days=days,
            ),
            _("the server deletes them itself when they are due; --force deletes them anyway"),
        )
    _confirm(yes, _("delete every audit record before {when}?", when=_local(before)))
    removed = purge(engine, before)
    _record_admin_action(engine, "admin:audit-purge", f"purged:{removed}")
    say("[green]✓[/]", _("{count} audit records deleted", count=removed))


def _confirm(yes: bool, question: Any) -> None:
    """Destructive commands go ahead with `--yes`, or when a person at a terminal says so."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise InputError(
            _("this deletes data and needs a confirmation"),
            _("add --yes (scripts, cron), or run it at a terminal"),
        )
    if not typer.confirm(text(question)):
        say("[yellow]![/]", _("nothing deleted"))
        raise typer.Exit(1)


def _audit(engine: Any) -> Any:
    from gemeingut.serve.gateway.audit_log import AuditLog

    return AuditLog(engine)


def _record_admin_action(
    engine: Any, route: str, decision: str, pseudonym: str | None = None
) -> None:
    """An administrator's reading or deleting in the audit log, like any request: so that a
    purge or an erasure can be seen afterwards (a count, no name)."""
    from gemeingut.serve.gateway.identity import utcnow

    _audit(engine).write(
        at=utcnow(),
        request_id=f"admin-{uuid.uuid4().hex}",
        user_pseudonym=pseudonym,
        key_id=None,
        route=route,
        model=None,
        status=200,
        decision=decision,
    )


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
    record = read_record(_engine(db), stated, utcnow())
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


@admin_content_app.command("export")
@user_errors
def content_export(
    user: Annotated[str, typer.Option(help="The person whose logged content to export.")],
    db: Db,
    out: Annotated[Path | None, typer.Option(help="JSONL file (default: stdout).")] = None,
) -> None:
    """A person's logged requests and answers (for their request under Art. 15 DSGVO); the
    reading itself is written to the audit log."""
    from gemeingut.serve.gateway.content_log import COLUMNS, of_person
    from gemeingut.serve.gateway.identity import user_pseudonym_source

    engine = _engine(db)
    pseudonym = _audit(engine).pseudonym(user_pseudonym_source(engine, user))
    rows = [_plain(row) for row in of_person(engine, pseudonym)]
    _record_admin_action(engine, "admin content export", f"read:{len(rows)}", pseudonym)
    if out is None:
        with _closed_pipe_is_quiet():
            _write_records(sys.stdout, rows, "jsonl", COLUMNS)
    else:
        _write_private(out, lambda f: _write_records(f, rows, "jsonl", COLUMNS))
    said = _("{count} logged requests of {user} exported", count=len(rows), user=user)
    console.print("[green]✓[/] " + text(said, current_language()))


@admin_content_app.command("delete")
@user_errors
def content_delete(
    user: Annotated[str, typer.Option(help="The person whose logged content to erase.")],
    db: Db,
    yes: Yes = False,
) -> None:
    """Erase a person's logged requests and answers (Art. 17 DSGVO); the audit log's metadata
    stays for its own retention, and the erasure is recorded there (a count, no name)."""
    from gemeingut.serve.gateway.content_log import erase_person
    from gemeingut.serve.gateway.identity import user_pseudonym_source

    engine = _engine(db)
    pseudonym = _audit(engine).pseudonym(user_pseudonym_source(engine, user))
    _confirm(yes, _("erase every logged request of {user}?", user=user))
    removed = erase_person(engine, pseudonym)
    _record_admin_action(engine, "admin:content-delete", f"erased:{removed}")
    said = _("{count} logged requests of {user} erased", count=removed, user=user)
    console.print("[green]✓[/] " + text(said, current_language()))
