"""`gemeingut admin quotas`: limits in requests and tokens per key, user or group."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gemeingut.cli.admin.common import Db, Operator, database, existing
from gemeingut.cli.admin.rotations import rotation_chain
from gemeingut.cli.admin.safeguards import (
    group_pseudonym,
    key_owner_pseudonym,
    person_pseudonym,
    record_admin_action,
)
from gemeingut.cli.admin.tables import LIMIT_LABELS, print_rows
from gemeingut.cli.app import admin_quotas_app
from gemeingut.cli.common import JsonFlag, say, user_errors
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, plural, text

if TYPE_CHECKING:
    from sqlalchemy import Engine


@admin_quotas_app.command("set")
@user_errors
def quotas_set(
    db: Db,
    key: Annotated[str | None, typer.Option(help="A key id.")] = None,
    user: Annotated[str | None, typer.Option(help="A user name.")] = None,
    group: Annotated[
        str | None,
        typer.Option(
            help="A group name: its limits are one pool for all members together (3 requests "
            "a minute: 3 for the whole group); with --per-member, each member's own."
        ),
    ] = None,
    per_member: Annotated[
        bool,
        typer.Option(
            "--per-member",
            help="With --group: the limits hold for each member of the group on their own "
            "(3 requests a minute: 3 for every member), beside the group's total if it has one.",
        ),
    ] = False,
    requests_per_minute: Annotated[
        int | None, typer.Option(min=0, help="Requests a minute (0 blocks).")
    ] = None,
    tokens_per_day: Annotated[
        int | None,
        typer.Option(min=0, help="Tokens a day, prompt and answer (UTC day; 0 blocks)."),
    ] = None,
    concurrent_streams: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Streams (stream: true) open at once (0 blocks streams); requests without "
            "stream are limited by --requests-per-minute and --tokens-per-day only.",
        ),
    ] = None,
    lift: Annotated[list[str] | None, typer.Option(help="Remove this limit (repeatable).")] = None,
    operator: Operator = None,
) -> None:
    """Set limits for one key, user or group; a request must stay within all that apply. A
    group's limit is the group's total, shared by all its members (one member can use it up for
    the others); with --per-member it is each member's own. Use is counted from when a limit is
    set: tokens used earlier that day do not count."""
    from gemeingut.serve.gateway.identity import forget_empty_limits
    from gemeingut.serve.gateway.quotas import LIMIT_NAMES, LIMITS, list_limits, set_limits

    kind, subject = _one_subject(key, user, group, "--group schule")
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
                _("'{limit}' is both set and lifted", limit=LIMIT_NAMES[name]),
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
    if per_member and kind != "group":
        raise InputError(
            _("--per-member goes with --group only"),
            _("e.g. {example}", example="--group schule --per-member --tokens-per-day 20000"),
        )
    kind = "member" if per_member else kind
    engine = database(db)
    before = next(
        (r for r in list_limits(engine) if (r["subject_kind"], r["subject"]) == (kind, subject)),
        {},
    )
    if kind == "key" and any(value is not None for value in limits.values()):
        _refuse_revoked(engine, subject)
    set_limits(engine, kind, subject, **limits)
    forget_empty_limits(engine, kind, subject)
    _record(engine, kind, subject, limits, operator)
    who = _who(kind, subject)
    shown = ", ".join(
        text(
            _("{limit} lifted", limit=LIMIT_LABELS[name])
            if value is None
            else _("{limit} {value}", limit=LIMIT_LABELS[name], value=value)
        )
        for name, value in limits.items()
    )
    say("[green]✓[/]", _("limits of {who} set: {limits}", who=who, limits=shown))
    # Counters exist only where a limit does: no tally of everyone's use. Not of streams: a
    # stream is counted while it runs, not as use that adds up.
    new = [
        name
        for name, value in limits.items()
        if value is not None and before.get(name) is None and name != "concurrent_streams"
    ]
    if new:
        limited = ", ".join(text(LIMIT_LABELS[name]) for name in new)
        said = plural(
            len(new),
            _(
                "{limits} counts from now on: what {who} used before does not count against it "
                "(the server counts use only where a limit is set)",
                limits=limited,
                who=who,
            ),
            _(
                "{limits} count from now on: what {who} used before does not count against "
                "them (the server counts use only where a limit is set)",
                limits=limited,
                who=who,
            ),
        )
        say("[yellow]![/]", said)


def _refuse_revoked(engine: Engine, key_id: str) -> None:
    """A limit on a revoked key would limit nothing: the key no longer works. The refusal
    says where the limit goes instead: on the key a rotation replaced it with (the last of
    several rotations), where one did and that key works."""
    chain = rotation_chain(engine, key_id)
    if not chain:
        return
    said = _("the key {id} is revoked: a limit on it would limit nothing", id=key_id)
    last, works = chain[-1]
    if works:
        hint = _("set the limit on the key that replaced it: --key {id}", id=last)
    elif last == key_id:
        hint = _(
            "no key replaced it (it was revoked, not rotated): set the limit on its user "
            "(`--user`) or on a new key (`gemeingut admin keys create`)"
        )
    else:
        hint = _(
            "the key {id} that replaced it is revoked too: set the limit on its user "
            "(`--user`) or on a new key (`gemeingut admin keys create`)",
            id=last,
        )
    raise InputError(said, hint)


def _one_subject(
    key: str | None, user: str | None, group: str | None, example: str
) -> tuple[str, str]:
    """The one key, user or group a command names: (kind, name)."""
    subjects = [(k, v) for k, v in (("key", key), ("user", user), ("group", group)) if v]
    if len(subjects) != 1:
        raise InputError(
            _("name exactly one of --key, --user, --group"), _("e.g. {example}", example=example)
        )
    return subjects[0]


def _who(kind: str, subject: str) -> Message:
    """The key, user or group (`member`: a group's limit for each member) in words."""
    return {
        "key": _("key {name}", name=subject),
        "user": _("user {name}", name=subject),
        "group": _("group {name}", name=subject),
        "member": _("group {name} (per member)", name=subject),
    }[kind]


def _record(
    engine: Engine, kind: str, subject: str, limits: dict[str, int | None], operator: str | None
) -> None:
    """The change in the audit log: which limits, to what (`-`: lifted)."""
    short = {"requests_per_minute": "rpm", "tokens_per_day": "tpd", "concurrent_streams": "streams"}
    changed = ",".join(
        f"{short[name]}={'-' if value is None else value}" for name, value in limits.items()
    )
    _record_for(engine, "admin:quotas-set", kind, subject, changed, operator)


def _record_for(
    engine: Engine, route: str, kind: str, subject: str, detail: str, operator: str | None
) -> None:
    """An act on one subject's limits in the audit log, as `{kind}:{detail}`: a person by
    their pseudonym, a key by its id, a group by its pseudonym (its name may name people)."""
    if kind == "user":
        pseudonym = person_pseudonym(engine, subject)
        record_admin_action(engine, route, f"user:{detail}", operator, pseudonym)
    elif kind == "key":
        owner = key_owner_pseudonym(engine, subject)
        record_admin_action(engine, route, f"key:{detail}", operator, owner, subject)
    else:  # a group (its total, or `member`: per member), by pseudonym: never the name
        decision = f"{kind}:{detail},{group_pseudonym(engine, subject)}"
        record_admin_action(engine, route, decision, operator)


@admin_quotas_app.command("free-streams")
@user_errors
def quotas_free_streams(
    db: Db,
    key: Annotated[str | None, typer.Option(help="A key id.")] = None,
    user: Annotated[
        str | None,
        typer.Option(help="A user name: also their places under per-member group limits."),
    ] = None,
    group: Annotated[
        str | None,
        typer.Option(help="A group name: its total's places and each member's under it."),
    ] = None,
    operator: Operator = None,
) -> None:
    """Free the stream places (--concurrent-streams) of one key, user or group now: streams
    of a server process that was killed hold theirs until the other processes notice (within
    a minute). Streams still running go on, no longer counted; their tokens settle as usual."""
    from gemeingut.serve.gateway.leases import free_places

    kind, subject = _one_subject(key, user, group, "--user anna")
    engine = database(db)
    existing(engine, kind, subject)
    freed = free_places(engine, kind, subject)
    _record_for(engine, "admin:quotas-free-streams", kind, subject, str(freed), operator)
    who = _who(kind, subject)
    said = plural(
        freed,
        _("1 stream place of {who} freed", who=who),
        _("{n} stream places of {who} freed", n=freed, who=who),
    )
    say("[green]✓[/]", said)


@admin_quotas_app.command("list")
@user_errors
def quotas_list(db: Db, as_json: JsonFlag = False) -> None:
    """List every limit, with today's use; of a limit per member (kind member), the most
    that any one member used."""
    from gemeingut.serve.gateway.identity import utcnow
    from gemeingut.serve.gateway.quotas import list_limits, usage

    engine = database(db)
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
    print_rows(rows, as_json, columns)
