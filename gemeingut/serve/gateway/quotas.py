"""Quotas in tokens and requests, not money: who waits, and for how long.

Every limit is a counter row per subject (key, user, group, or a member of a group) and
window (this minute, this UTC day, open streams). A request reserves, in one transaction and
for every subject that has a limit, one request and the most tokens it can use (prompt + the
longest answer it may get); after the answer, the reservation is settled to the tokens really
used. Each reservation is one
conditional UPDATE (`… WHERE used + reserved + n <= limit`): the database, not Python, decides,
so concurrent requests — also from several server processes on one PostgreSQL — never take more
than the limit. PostgreSQL re-checks the condition after waiting for a row lock; SQLite queues
writers (`BEGIN IMMEDIATE`, see `store.py`).

`concurrent_streams` counts streams (`stream: true`) only: a request without stream is held
by `requests_per_minute` and `tokens_per_day`. A limit counts from when it is set: counters
exist for subjects with a limit only (no per-person tally of everyone's use, which the audit
log keeps under a pseudonym), so tokens used earlier that day do not count against a new
`tokens_per_day`.

A group's limit is either one total that all its members share (kind `group`: one member can
use it up for the others) or the same limit for each member on their own (kind `member`, named
by the group; each member's counters are named by group and person, `tables.member_counter`).
A request must stay within every limit that applies to it.

An open stream is a row of its own (`stream:<start>:<id>`), taken while the subject's `streams`
row is locked and deleted when the stream ends. A server process killed mid-stream cannot
delete it, so a stream place is a lease: one older than `STREAM_LEASE` no longer counts, and the
hourly tidy removes it. A dead process therefore blocks nobody for longer than the lease.

What a request leaves of its limits is told back to the client (OpenAI's `x-ratelimit-*`
headers, `rate_headers.py`) from the reservation's own conditional UPDATEs, which return the
counter they changed: of each kind (requests per minute, tokens per day) the limit with the
fewest left, no statement more. Tokens count as reserved there: the prompt and the longest
answer, until `settle` gives back what the answer did not use.

A request that fails gives back what it did not use: the tokens it did not generate (a failure
settles to 0), and, where the server failed (a 5xx: queue full, engine or database down), also
its request of this minute, so a client that retries a server's failure is not throttled for
it. A client's own mistakes (4xx) still count as requests.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    RowMapping,
    Update,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.i18n.visible import visible
from gemeingut.serve.gateway.identity import Principal, refuse_unusable
from gemeingut.serve.gateway.store import insert_or_ignore, reading, writing
from gemeingut.serve.gateway.tables import (
    MEMBER_SEPARATOR,
    api_keys,
    groups,
    member_counter,
    quota_limits,
    usage_counters,
    users,
)

LIMITS = ("requests_per_minute", "tokens_per_day", "concurrent_streams")
STREAM_LEASE = timedelta(hours=1)  # the longest a stream counts as open
# Retry-After of a limit of 0 (or a request larger than a whole day's tokens): waiting does not
# lift it, an administrator does; a short one would only make clients ask again at once.
BLOCKED_RETRY_AFTER = 60
STREAM = "stream:"
STAMP = "%Y%m%dT%H%M%S"  # sorts as it runs
SUBJECT_KINDS = ("key", "user", "group", "member")  # member: a group's limit per member
# The most each limit may be: what its column holds (PostgreSQL's integer, 2**31 - 1), and for
# tokens a bound far below bigint's so that used + reserved + a request's tokens never overflows.
Then = Callable[[Connection], None]  # more writes for a reservation's transaction
MOST = {
    "requests_per_minute": 2**31 - 1,
    "tokens_per_day": 10**15,
    "concurrent_streams": 2**31 - 1,
}

# Built once (SQLAlchemy keeps a built statement's compiled form; building one per request cost
# more than running it): the limits whose subject has one of some names, and a key's validity.
_LIMITS_NAMED = (
    select(quota_limits)
    .where(quota_limits.c.subject.in_(bindparam("names", expanding=True)))
    .order_by(quota_limits.c.subject_kind, quota_limits.c.subject)  # one lock order
)
_KEY_VALIDITY = select(api_keys.c.revoked_at, api_keys.c.expires_at).where(
    api_keys.c.id == bindparam("key_id")
)


def _taking(column: str) -> Update:
    """`_take`'s conditional UPDATE of `column`, returning the counter it changed (for the
    rate-limit headers: no read of its own); built once, as the statements above."""
    counter, n = usage_counters.c, bindparam("n", type_=BigInteger)
    return (
        update(usage_counters)
        .where(
            counter.subject_kind == bindparam("counter_kind"),
            counter.subject == bindparam("counter_subject"),
            counter.window == bindparam("counter_window"),
            counter.used + counter.reserved + n <= bindparam("limit", type_=BigInteger),
        )
        .values({column: getattr(counter, column) + n})
        .returning(counter.used, counter.reserved)
    )


_TAKE = {column: _taking(column) for column in ("used", "reserved")}


@dataclass(frozen=True)
class Headroom:
    """What one limit leaves once a request has taken from it (or, of a refusal, before), and
    when its window begins anew: the next minute, 00:00 UTC. For OpenAI's `x-ratelimit-*`."""

    limit: int
    remaining: int
    resets_at: datetime  # naive UTC, as `now`


def tightest(held: Headroom | None, other: Headroom) -> Headroom:
    """The limit a client meets first: fewer left, or as many left of a smaller limit."""
    if held is None or (other.remaining, other.limit) < (held.remaining, held.limit):
        return other
    return held


@dataclass(frozen=True)
class Refusal:
    """A 429's facts, for a client to act on without reading the message (which says the same
    in words, and no more): which limit, whose kind of limit, and its numbers."""

    name: str  # which limit: one of LIMITS
    whose: str  # one of SUBJECT_KINDS
    group: str | None  # of a group's limit (kinds group, member): the message names it too
    limit: int  # its value
    used: int  # requests this minute, tokens used today, or streams open
    reserved: int  # tokens reserved today by requests still running (0 for the others)
    requested: int  # what this request needs of it: 1 request, its tokens, 1 stream
    waiting_helps: bool  # False: a limit of 0, or a request larger than a whole day's tokens


class QuotaExceeded(Exception):
    """A 429: which limit, of whom, and when to try again."""

    def __init__(
        self,
        refusal: Refusal,
        message: Message,
        retry_after: int,
        headroom: Headroom | None = None,
    ) -> None:
        super().__init__(message)
        self.refusal = refusal
        self.limit = refusal.name
        self.message = message
        self.retry_after = retry_after
        self.headroom = headroom  # of a limit per minute or day; None for open streams


@dataclass
class Reservation:
    """What one request holds until `settle`: tokens per day window, and open-stream places."""

    tokens: int
    request_windows: list[tuple[str, str, str]] = field(default_factory=list)
    token_windows: list[tuple[str, str, str]] = field(default_factory=list)
    stream_places: list[tuple[str, str, str]] = field(default_factory=list)  # kind, subject, row
    requests_left: Headroom | None = None  # of the tightest requests_per_minute
    tokens_left: Headroom | None = None  # of the tightest tokens_per_day


def set_limits(engine: Engine, kind: str, subject: str, **limits: int | None) -> None:
    """Set (or with None, lift) limits of one key, user or group; other limits stay."""
    if kind not in SUBJECT_KINDS:
        raise InputError(
            _("unknown subject kind '{kind}'", kind=visible(kind)),
            _("one of {choices}", choices=", ".join(SUBJECT_KINDS)),
        )
    for name, value in limits.items():
        if name not in LIMITS:
            raise InputError(
                _("unknown limit '{name}'", name=visible(name)),
                _("one of {choices}", choices=", ".join(LIMITS)),
            )
        if value is not None and not 0 <= value <= MOST[name]:
            raise InputError(
                _(
                    "{option} must be between 0 and {most}, not {value}",
                    option="--" + name.replace("_", "-"),
                    most=MOST[name],
                    value=value,
                ),
                _("0 blocks; --lift {name} removes the limit", name=name),
            )
    with writing(engine) as conn:
        _check_subject(conn, kind, subject)
        insert_or_ignore(conn, quota_limits, subject_kind=kind, subject=subject)
        conn.execute(
            update(quota_limits)
            .where(quota_limits.c.subject_kind == kind, quota_limits.c.subject == subject)
            .values(**limits)
        )


def list_limits(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(quota_limits).order_by(quota_limits.c.subject_kind, quota_limits.c.subject)
        )
        return [dict(row) for row in rows.mappings()]


def limits_of(engine: Engine, principal: Principal) -> list[dict[str, object]]:
    """The limit rows that apply to `principal` (its key, user, groups' totals and per-member
    limits), in `list_limits`' order: read by name, not every row of every user."""
    with engine.connect() as conn:
        return [dict(row) for row in _limits_of(conn, principal)]


def reserve_uncounted(
    engine: Engine,
    principal: Principal,
    stream: bool,
    now: datetime,
    answers: bool = True,
    then: Then | None = None,
) -> Reservation | None:
    """`reserve` of a request whose tokens need not be counted, or None where a limit of
    `principal` is in tokens (count them, then `reserve`). Where no limit applies, one read
    tells both and checks the key: no second read, no write lock. `then`: writes that belong
    to the reservation (a stream's audit record), run in its transaction once it is taken: one
    write transaction for both, also where no limit applies."""
    if then is not None:
        with writing(engine) as conn:
            rows = _limits_of(conn, principal)
            if _counts_tokens(rows):
                return None
            return _take_in(conn, principal, rows, 0, stream, now, answers, then)
    with reading(engine) as conn:
        rows = _limits_of(conn, principal)
        if _counts_tokens(rows):
            return None
        if not rows:
            _refuse_unusable(conn, principal.key_id, now)
            return Reservation(tokens=0)
    return _take_all(engine, principal, 0, stream, now, answers)


def _counts_tokens(rows: list[RowMapping]) -> bool:
    return any(row["tokens_per_day"] is not None for row in rows)


def _limits_of(conn: Connection, principal: Principal) -> list[RowMapping]:
    """The limits that apply to `principal`, in one lock order (read to the end: a refusal
    after it must leave no statement open)."""
    subjects = set(_subjects(principal))
    names = sorted({subject for _kind, subject in subjects})
    rows = conn.execute(_LIMITS_NAMED, {"names": names}).mappings().all()
    return [row for row in rows if (row["subject_kind"], row["subject"]) in subjects]


def _subjects(principal: Principal) -> list[tuple[str, str]]:
    """The limits that may apply to `principal`, as (kind, subject) of `quota_limits`."""
    return [
        ("key", principal.key_id),
        ("user", principal.user),
        *(("group", g) for g in principal.groups),
        *(("member", g) for g in principal.groups),
    ]


def _counted_as(kind: str, subject: str, principal: Principal) -> str:
    """Whose counters a limit takes from: the subject's own, or for a per-member limit the
    member's under that group."""
    return member_counter(subject, principal.user) if kind == "member" else subject


def reserve(
    engine: Engine,
    principal: Principal,
    tokens: int,
    stream: bool,
    now: datetime,
    answers: bool = True,
    then: Then | None = None,
) -> Reservation:
    """Take one request, `tokens` tokens and (for a stream) one open stream from every limit
    that applies to `principal`, all or nothing; `QuotaExceeded` names the first that is full,
    `AuthError` says that the key was revoked (or rotated), or expired, after it was
    authenticated: checked in the transaction that reserves, whichever limits apply (none
    too), by one read of the key's row, which is locked only where the key has limits.
    `answers`: whether the request generates text (embeddings and the lens count their input
    only, and have no max_tokens to lower). `then`: as for `reserve_uncounted`."""
    if then is None:
        with reading(engine) as conn:
            if not _limits_of(conn, principal):
                _refuse_unusable(conn, principal.key_id, now)
                return Reservation(tokens=tokens)  # no limit applies: no write lock to wait for
    return _take_all(engine, principal, tokens, stream, now, answers, then)


def _take_all(
    engine: Engine,
    principal: Principal,
    tokens: int,
    stream: bool,
    now: datetime,
    answers: bool,
    then: Then | None = None,
) -> Reservation:
    """`reserve`'s write transaction: the limits read again under the write lock, then
    `_take_in`."""
    with writing(engine) as conn:
        rows = _limits_of(conn, principal)
        return _take_in(conn, principal, rows, tokens, stream, now, answers, then)


def _take_in(
    conn: Connection,
    principal: Principal,
    rows: list[RowMapping],
    tokens: int,
    stream: bool,
    now: datetime,
    answers: bool,
    then: Then | None,
) -> Reservation:
    """In a write transaction: the key checked (and, where it has limits of its own, locked),
    each limit of `rows` taken, then `then`; a refusal raises before `then` runs."""
    reservation = Reservation(tokens=tokens)
    minute, day = f"minute:{now:%Y-%m-%dT%H:%M}", f"day:{now:%Y-%m-%d}"
    if any(row["subject_kind"] == "key" for row in rows):
        _hold_key(conn, principal.key_id, valid_at=now)
    else:  # no counter of the key's own that a rotation would copy: nothing to lock
        _refuse_unusable(conn, principal.key_id, now)
    for row in rows:
        kind, limited_subject = row["subject_kind"], row["subject"]
        subject = _counted_as(kind, limited_subject, principal)
        rpm, tpd, streams = (row[name] for name in LIMITS)
        refused = partial(_refused, kind, limited_subject, principal.user)
        if rpm is not None:
            taken = _take(conn, kind, subject, minute, 1, rpm, "used")
            if taken is None:
                used, _reserved = _counts(conn, kind, subject, minute)
                raise refused("requests_per_minute", rpm, used, 0, 1, _rpm_used_up, now)
            reservation.request_windows.append((kind, subject, minute))
            left = Headroom(rpm, rpm - sum(taken), _minute_end(now))
            reservation.requests_left = tightest(reservation.requests_left, left)
        if tpd is not None:
            taken = _take(conn, kind, subject, day, tokens, tpd, "reserved")
            if taken is None:
                used, reserved = _counts(conn, kind, subject, day)
                said = partial(_tokens_refused, answers=answers)
                raise refused("tokens_per_day", tpd, used, reserved, tokens, said, now)
            reservation.token_windows.append((kind, subject, day))
            left = Headroom(tpd, tpd - sum(taken), _day_end(now))
            reservation.tokens_left = tightest(reservation.tokens_left, left)
        if stream and streams is not None:
            place, live = _take_stream(conn, kind, subject, streams, now)
            if place is None:
                raise refused("concurrent_streams", streams, live, 0, 1, _streams_open, now)
            reservation.stream_places.append((kind, subject, place))
    if then is not None:
        then(conn)
    return reservation


def _refused(
    kind: str,
    subject: str,
    user: str,
    name: str,
    limit: int,
    used: int,
    reserved: int,
    requested: int,
    said: Callable[[Message, Refusal], Message],
    now: datetime,
) -> QuotaExceeded:
    """The 429 of a full limit: its facts, the same in words, and when to ask again. Waiting
    helps unless the limit is 0 or the request needs more than the whole limit (a whole day's
    tokens: tomorrow is no better); then `BLOCKED_RETRY_AFTER`."""
    refusal = Refusal(
        name=name,
        whose=kind,
        group=subject if kind in ("group", "member") else None,
        limit=limit,
        used=used,
        reserved=reserved,
        requested=requested,
        waiting_helps=limit > 0 and requested <= limit,
    )
    if not refusal.waiting_helps:
        wait = BLOCKED_RETRY_AFTER
    elif name == "requests_per_minute":
        wait = _seconds_to_next_minute(now)
    elif name == "tokens_per_day":
        wait = _seconds_to_next_day(now)
    else:
        wait = 1  # an open stream may end any moment
    ends = {"requests_per_minute": _minute_end, "tokens_per_day": _day_end}.get(name)
    left = None if ends is None else Headroom(limit, max(0, limit - used - reserved), ends(now))
    said_so = said(_subject_named(kind, subject, user), refusal)
    return QuotaExceeded(refusal, said_so, wait, left)


def _subject_named(kind: str, subject: str, user: str) -> Message:
    """Whose limit it is, for a 429; a per-member limit names the member and the group."""
    if kind == "key":
        return _("key {name}", name=subject)
    if kind == "user":
        return _("user {name}", name=subject)
    if kind == "member":
        return _(
            "user {user} as a member of group {group} (a limit for each member)",
            user=user,
            group=subject,
        )
    return _("group {name} (one limit for all its members together)", name=subject)


def _rpm_used_up(who: Message, refusal: Refusal) -> Message:
    rpm = refusal.limit
    if rpm == 0:
        return _("requests_per_minute of {who} is 0: no requests are allowed", who=who)
    if rpm == 1:
        return _("requests_per_minute of {who}: the 1 request per minute is used up", who=who)
    return _(
        "requests_per_minute of {who}: {rpm} requests per minute are used up", who=who, rpm=rpm
    )


def _tokens_refused(who: Message, refusal: Refusal, answers: bool) -> Message:
    """Why the tokens do not fit; waiting for 00:00 UTC is suggested only where it helps.
    `answers`: the request generates (it can ask for fewer max_tokens), or counts its input."""
    tpd, tokens = refusal.limit, refusal.requested
    taken = refusal.used + refusal.reserved
    if tpd == 0:
        return _("tokens_per_day of {who} is 0: no tokens are allowed", who=who)
    if tokens > tpd and answers:
        return _(
            "tokens_per_day of {who} is {tpd}, and this request may use up to {tokens} (prompt "
            "and the longest answer), more than a whole day allows; ask for fewer max_tokens",
            who=who,
            tpd=tpd,
            tokens=tokens,
        )
    if tokens > tpd:
        return _(
            "tokens_per_day of {who} is {tpd}, and this request's input counts up to {tokens}, "
            "more than a whole day allows; send less text",
            who=who,
            tpd=tpd,
            tokens=tokens,
        )
    if answers:
        return _(
            "tokens_per_day of {who}: {taken} of {tpd} tokens are used or reserved today, and "
            "this request may use up to {tokens} (prompt and the longest answer); ask for fewer "
            "max_tokens or wait for 00:00 UTC",
            who=who,
            taken=taken,
            tpd=tpd,
            tokens=tokens,
        )
    return _(
        "tokens_per_day of {who}: {taken} of {tpd} tokens are used or reserved today, and this "
        "request's input counts up to {tokens}; send less text or wait for 00:00 UTC",
        who=who,
        taken=taken,
        tpd=tpd,
        tokens=tokens,
    )


def _streams_open(who: Message, refusal: Refusal) -> Message:
    """Says that the limit counts streams only: a request without stream is not held by it."""
    streams = refusal.limit
    if streams == 0:
        return _(
            "concurrent_streams of {who} is 0: no streams are allowed (requests without stream "
            "are limited by requests_per_minute and tokens_per_day only)",
            who=who,
        )
    if streams == 1:
        return _(
            "concurrent_streams of {who}: the 1 stream allowed is open already (this limit "
            "counts streams only; requests without stream are limited by requests_per_minute "
            "and tokens_per_day)",
            who=who,
        )
    return _(
        "concurrent_streams of {who}: {streams} streams are open already (this limit counts "
        "streams only; requests without stream are limited by requests_per_minute and "
        "tokens_per_day)",
        who=who,
        streams=streams,
    )


def settle(
    conn: Connection, reservation: Reservation, used_tokens: int, refused_unworked: bool = False
) -> None:
    """Turn the reserved tokens into the `used_tokens` really used; give back stream places,
    and with `refused_unworked` (the server refused before any work: a full queue) the request
    taken from requests_per_minute. Not for every 5xx: a prompt that makes the engine fail
    would otherwise never be rate-limited. In the caller's write transaction, which also
    completes the request's audit record."""
    used_tokens = min(used_tokens, reservation.tokens)
    key_ids = {
        subject
        for kind, subject, _window in (
            *reservation.request_windows,
            *reservation.token_windows,
            *reservation.stream_places,
        )
        if kind == "key"
    }
    for key_id in sorted(key_ids):  # one key; a reservation has no other
        _hold_key(conn, key_id, valid_at=None)
    if refused_unworked:
        for kind, subject, window in reservation.request_windows:
            conn.execute(
                update(usage_counters)
                .where(_is_counter(kind, subject, window), usage_counters.c.used > 0)
                .values(used=usage_counters.c.used - 1)
            )
    for kind, subject, window in reservation.token_windows:
        conn.execute(
            update(usage_counters)
            .where(_is_counter(kind, subject, window))
            .values(
                reserved=usage_counters.c.reserved - reservation.tokens,
                used=usage_counters.c.used + used_tokens,
            )
        )
    for kind, subject, place in reservation.stream_places:
        # A key's place is also held by the keys it was rotated to (`identity.rotate_key`
        # copies it under its unique name): the stream ends for all of them.
        held = (
            and_(usage_counters.c.subject_kind == "key", usage_counters.c.window == place)
            if kind == "key"
            else _is_counter(kind, subject, place)
        )
        conn.execute(delete(usage_counters).where(held))


def usage(engine: Engine, kind: str, subject: str, now: datetime) -> dict[str, int]:
    """Requests this minute, tokens today (used, reserved) and open streams of one subject;
    of a per-member limit (`member`, `subject` its group), the most of any one member."""
    if kind == "member":
        return _members_usage(engine, subject, now)
    return _usage_of(_counter_rows(engine, kind, subject), now)


def member_usage(engine: Engine, group: str, user: str, now: datetime) -> dict[str, int]:
    """`usage` of one member under the per-member limit of `group`."""
    return _usage_of(_counter_rows(engine, "member", member_counter(group, user)), now)


def _counter_rows(engine: Engine, kind: str, subject: str) -> dict[str, dict]:
    """The counters of one subject, by window."""
    with engine.connect() as conn:
        return {
            row["window"]: dict(row)
            for row in conn.execute(
                select(usage_counters).where(_is_subject(usage_counters, kind, subject))
            ).mappings()
        }


def _members_usage(engine: Engine, group: str, now: datetime) -> dict[str, int]:
    """Each figure the highest of any member of `group` under its per-member limit: whether
    someone is at the limit, without listing anyone's use."""
    prefix = group + MEMBER_SEPARATOR
    per_member: dict[str, dict[str, dict]] = {}
    with engine.connect() as conn:
        for row in conn.execute(
            select(usage_counters).where(usage_counters.c.subject_kind == "member")
        ).mappings():
            if row["subject"].startswith(prefix):
                per_member.setdefault(row["subject"], {})[row["window"]] = dict(row)
    figures = [_usage_of(rows, now) for rows in per_member.values()]
    return {
        name: max((f[name] for f in figures), default=0)
        for name in ("requests_this_minute", "tokens_today", "tokens_reserved", "open_streams")
    }


def _usage_of(rows: dict[str, dict], now: datetime) -> dict[str, int]:
    minute = rows.get(f"minute:{now:%Y-%m-%dT%H:%M}")
    day = rows.get(f"day:{now:%Y-%m-%d}")
    return {
        "requests_this_minute": minute["used"] if minute else 0,
        "tokens_today": day["used"] if day else 0,
        "tokens_reserved": day["reserved"] if day else 0,
        "open_streams": sum(
            1 for window in rows if window.startswith(STREAM) and window >= _lease_start(now)
        ),
    }


def prune_counters(engine: Engine, now: datetime) -> int:
    """Forget minute windows before this minute, day windows before yesterday, and stream
    places past their lease (of streams whose process died)."""
    minute, day = f"minute:{now:%Y-%m-%dT%H:%M}", f"day:{now - timedelta(days=1):%Y-%m-%d}"
    window = usage_counters.c.window
    with writing(engine) as conn:
        done = conn.execute(
            delete(usage_counters).where(
                or_(
                    and_(window.like("minute:%"), window < minute),
                    and_(window.like("day:%"), window < day),
                    and_(window.like(f"{STREAM}%"), window < _lease_start(now)),
                )
            )
        )
    return done.rowcount


def _hold_key(conn: Connection, key_id: str, valid_at: datetime | None) -> None:
    """Lock the key's row before its counters, as `identity.rotate_key` does before it copies
    them to the new key: a reservation or settlement on the old key then commits either
    before the copy (which carries it) or after (and sees the key revoked, or gives back the
    stream place on the new key too). Without it, PostgreSQL lets both go on at once: a
    request that authenticated just before the rotation takes from counters nobody reads any
    more, and a stream that ends during it leaves its place on the new key for the whole
    lease. `valid_at`: a key revoked (or rotated) or expired since the request authenticated
    is a 401 now, not a reservation on counters that no longer count."""
    conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id)
        .values(revoked_at=api_keys.c.revoked_at)  # changes nothing: it takes the row lock
    )
    if valid_at is not None:  # read after the lock: what a rotation just committed
        _refuse_unusable(conn, key_id, valid_at)


def _refuse_unusable(conn: Connection, key_id: str, now: datetime) -> None:
    """A 401 where the key was revoked, expired or removed since the request authenticated:
    one read by primary key, in the caller's transaction."""
    row = conn.execute(_KEY_VALIDITY, {"key_id": key_id}).mappings().first()
    refuse_unusable(key_id, row, now)


def _take_stream(
    conn: Connection, kind: str, subject: str, limit: int, now: datetime
) -> tuple[str | None, int]:
    """A stream place (its row's window), or None when `limit` live places are taken; and the
    live places before it. The subject's `streams` row is locked first, so concurrent takers
    count one after another."""
    insert_or_ignore(
        conn, usage_counters, subject_kind=kind, subject=subject, window="streams", used=0,
        reserved=0,
    )  # fmt: skip
    counter = usage_counters.c
    conn.execute(
        update(usage_counters)
        .where(_is_counter(kind, subject, "streams"))
        .values(used=counter.used)  # a write that changes nothing: it takes the row lock
    )
    live = conn.execute(
        select(func.count()).where(
            _is_subject(usage_counters, kind, subject),
            counter.window >= _lease_start(now),
            counter.window.like(f"{STREAM}%"),
        )
    ).scalar_one()
    if live >= limit:
        return None, live
    place = f"{STREAM}{now:{STAMP}}:{uuid.uuid4().hex[:8]}"  # fits the 32 characters
    conn.execute(
        usage_counters.insert().values(
            subject_kind=kind, subject=subject, window=place, used=1, reserved=0
        )
    )
    return place, live


def _lease_start(now: datetime) -> str:
    """The window name below which a stream place has outlived its lease."""
    return f"{STREAM}{now - STREAM_LEASE:{STAMP}}"


def _take(
    conn: Connection, kind: str, subject: str, window: str, n: int, limit: int, column: str
) -> tuple[int, int] | None:
    """Take `n` where the limit leaves room: the counter's used and reserved after, as the
    UPDATE returns them (no read of its own); None where it had no room."""
    insert_or_ignore(
        conn, usage_counters, subject_kind=kind, subject=subject, window=window, used=0, reserved=0
    )
    counter = {"counter_kind": kind, "counter_subject": subject, "counter_window": window}
    row = conn.execute(_TAKE[column], counter | {"n": n, "limit": limit}).first()
    return None if row is None else (int(row.used), int(row.reserved))


def _counts(conn: Connection, kind: str, subject: str, window: str) -> tuple[int, int]:
    """A counter's used and reserved (for a refusal: `_take` made the row)."""
    row = conn.execute(
        select(usage_counters.c.used, usage_counters.c.reserved).where(
            _is_counter(kind, subject, window)
        )
    ).first()
    return (int(row.used), int(row.reserved)) if row else (0, 0)


def _is_subject(table, kind: str, subject: str):
    return and_(table.c.subject_kind == kind, table.c.subject == subject)


def _is_counter(kind: str, subject: str, window: str):
    return and_(_is_subject(usage_counters, kind, subject), usage_counters.c.window == window)


def _check_subject(conn: Connection, kind: str, subject: str) -> None:
    kind = "group" if kind == "member" else kind  # a per-member limit is named by its group
    column = {"key": api_keys.c.id, "user": users.c.name, "group": groups.c.name}[kind]
    if conn.execute(select(column).where(column == subject)).first() is None:
        missing = {
            "key": _("no key '{name}'", name=visible(subject)),
            "user": _("no user '{name}'", name=visible(subject)),
            "group": _("no group '{name}'", name=visible(subject)),
        }[kind]
        raise InputError(missing, _("see {command}", command=f"`gemeingut admin {kind}s list`"))


def _seconds_to_next_minute(now: datetime) -> int:
    return max(1, 60 - now.second)


def _seconds_to_next_day(now: datetime) -> int:
    return max(1, int((_day_end(now) - now).total_seconds()))


def _minute_end(now: datetime) -> datetime:
    """When the window `minute:…` of `now` ends."""
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def _day_end(now: datetime) -> datetime:
    """When the window `day:…` of `now` ends: 00:00 UTC."""
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
