"""Quotas in tokens and requests, not money: who waits, and for how long.

Every limit is a counter row per subject (key, user, group, or a member of a group) and
window (this minute, this UTC day, open streams). A request reserves, in one transaction and
for every subject that has a limit, one request and the most tokens it can use (prompt + the
longest answer it may get); after the answer, the reservation is settled to the tokens really
used. Each reservation is one conditional UPDATE (`… WHERE used + reserved + n <= limit`, the
limit read from its row by that statement): the database, not Python, decides, so concurrent
requests — also from several server processes on one PostgreSQL — never take more than the
limit. PostgreSQL re-checks the condition after waiting for a row lock; SQLite queues writers
(`BEGIN IMMEDIATE`, see `store.py`).

`concurrent_streams` counts streams (`stream: true`) only: a request without stream is held
by `requests_per_minute` and `tokens_per_day`. A limit counts from when it is set: counters
exist for subjects with a limit only (no per-person tally of everyone's use, which the audit
log keeps under a pseudonym), so tokens used earlier that day do not count against a new
`tokens_per_day`. A counter left from before (a limit lifted the same day and set again, or a
subject's counter that another of its limits kept) starts afresh when its limit is newly set
(`set_limits`), a per-member limit's for every member: its use drops to 0, and its open
stream places no longer count. What requests still running hold stays reserved, so that they
settle as before and the new limit is never overshot; what they use counts once they settle.

A group's limit is either one total that all its members share (kind `group`: one member can
use it up for the others) or the same limit for each member on their own (kind `member`, named
by the group; each member's counters are named by group and person, `tables.member_counter`).
A request must stay within every limit that applies to it.

An open stream is a row of its own (`stream:<start>:<id>`), taken while the subject's `streams`
row is locked and deleted when the stream ends. A server process killed mid-stream cannot
delete it, nor settle its reserved tokens: so what a request of a gateway's server holds is
also written down as a lease under that process (`leases.py`, in the reservation's
transaction), which the process's heartbeat keeps; a lease whose process stopped is settled
by the others within a minute (at once by a process on the same machine, which can tell that
its process is gone), as a request of unknown use: its reserved tokens count as used, its
stream places are freed. A stream place older than `STREAM_LEASE` no longer counts either,
and the hourly tidy removes it: the last resort for a place without a lease (one taken before
revision 0010).

What a request leaves of its limits is told back to the client (OpenAI's `x-ratelimit-*`
headers, `rate_headers.py`) from the reservation's own conditional UPDATEs, which return the
counter they changed: of each kind (requests per minute, tokens per day) the limit with the
fewest left, no statement more. Tokens count as reserved there: the prompt and the longest
answer, until `settle` gives back what the answer did not use. A 429 tells the same of every
limit, read once its refused reservation is undone (a read that only a refusal pays for).

A request that got no answer is charged no tokens: its failure settles to 0 (an engine's 502
or a timeout before the answer, a stream that failed before it sent any text), so a client
that asks again is not charged twice. A stream that failed midway is charged the text it sent,
as one whose client left. Its request of this minute still counts (`settle`), and the 429 of
`requests_per_minute` says so where such requests are among those counted (a `failed:` window
beside the minute's counts them): a request the engine failed took the engine's time as any
other, and a prompt that makes the engine fail must stay rate-limited, as must a client that
retries a failing engine at once. Only a request the server refused before any work (a full
queue, the database down: `gate.REFUSED_UNWORKED`) is given back. A client's own mistakes (4xx)
count as requests too.

A 429's message names each limit in words of the reader's language (`LIMIT_NAMES`); its JSON
`param` keeps the limit's identifier, for programs.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial, reduce

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    ScalarSelect,
    String,
    Update,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, plural
from gemeingut.i18n.visible import visible
from gemeingut.serve.gateway.direct_sql import Row, run, run_counted
from gemeingut.serve.gateway.identity import Principal, refuse_unusable
from gemeingut.serve.gateway.local_clock import local_clock
from gemeingut.serve.gateway.store import insert_or_ignore, reading, writing
from gemeingut.serve.gateway.tables import (
    MEMBER_SEPARATOR,
    api_keys,
    groups,
    leases,
    member_counter,
    quota_limits,
    usage_counters,
    users,
)

LIMITS = ("requests_per_minute", "tokens_per_day", "concurrent_streams")
# Each limit as a sentence names it (its identifier is for programs: `param`, `--lift`).
LIMIT_NAMES = {
    "requests_per_minute": _("requests per minute"),
    "tokens_per_day": _("tokens per day"),
    "concurrent_streams": _("concurrent streams"),
}
STREAM_LEASE = timedelta(hours=1)  # the longest a stream counts as open
# Retry-After of a limit of 0 (or a request larger than a whole day's tokens): waiting does not
# lift it, an administrator does; a short one would only make clients ask again at once.
BLOCKED_RETRY_AFTER = 60
STREAM = "stream:"
FAILED = "failed:"  # of a minute: requests of it that the engine failed to answer
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
# more than running it): the limits whose subject has one of some names; the same with the
# validity of a key on each row, one row (limits all NULL) where none has a limit, none where
# the key is gone: a request's limits and its key's check in one statement.
_LIMITS_NAMED = (
    select(quota_limits)
    .where(quota_limits.c.subject.in_(bindparam("names", expanding=True)))
    .order_by(quota_limits.c.subject_kind, quota_limits.c.subject)  # one lock order
)
_LIMITS_AND_KEY = (
    select(quota_limits, api_keys.c.revoked_at, api_keys.c.expires_at)
    .select_from(
        api_keys.outerjoin(
            quota_limits, quota_limits.c.subject.in_(bindparam("names", expanding=True))
        )
    )
    .where(api_keys.c.id == bindparam("key_id"))
    .order_by(quota_limits.c.subject_kind, quota_limits.c.subject)
)


def _limit_of(name: str) -> ScalarSelect:
    """The limit `name` of the limit row named by the bind parameters `limit_kind` and
    `limit_subject`, as the database holds it when the statement that asks runs: a statement
    that takes from a counter reads its limit itself, under the lock it takes, so the limits
    read before (which tell only which counters to take from) need not be read again."""
    return (
        select(quota_limits.c[name])
        .where(
            quota_limits.c.subject_kind == bindparam("limit_kind"),
            quota_limits.c.subject == bindparam("limit_subject"),
        )
        .scalar_subquery()
    )


def _taking(column: str, name: str) -> Update:
    """`_take`'s conditional UPDATE of `column` under the limit `name`, returning the counter
    it changed and the limit (for the rate-limit headers: no read of its own); built once, as
    the statements above. A limit lifted since it was read no longer holds the request back."""
    counter, n, limit = usage_counters.c, bindparam("n", type_=BigInteger), _limit_of(name)
    return (
        update(usage_counters)
        .where(
            counter.subject_kind == bindparam("counter_kind"),
            counter.subject == bindparam("counter_subject"),
            counter.window == bindparam("counter_window"),
            or_(limit.is_(None), counter.used + counter.reserved + n <= limit),
        )
        .values({column: getattr(counter, column) + n})
        .returning(counter.used, counter.reserved, limit.label("limit"))
    )


_TAKE = {
    "requests_per_minute": _taking("used", "requests_per_minute"),
    "tokens_per_day": _taking("reserved", "tokens_per_day"),
}


_COUNTER = usage_counters.c


def _counter_named(window: str | None = None) -> ColumnElement[bool]:
    """The WHERE of one counter, by the bind parameters `counter_kind`, `counter_subject` and
    (unless `window` names it) `counter_window`, as `_TAKE`'s."""
    return and_(
        _COUNTER.subject_kind == bindparam("counter_kind"),
        _COUNTER.subject == bindparam("counter_subject"),
        _COUNTER.window == (bindparam("counter_window") if window is None else window),
    )


# The statements of stream places and of `settle`, built once as the ones above. A refusal
# reads its counter with the limit that refused it.
_COUNTS = {
    name: select(_COUNTER.used, _COUNTER.reserved, _limit_of(name).label("limit")).where(
        _counter_named()
    )
    for name in ("requests_per_minute", "tokens_per_day")
}
_STREAM_LIMIT = _limit_of("concurrent_streams")
# A write to the subject's `streams` row that changes nothing: it takes the row lock.
_LOCK_STREAMS = update(usage_counters).where(_counter_named("streams")).values(used=_COUNTER.used)
# A stream place, inserted only where fewer live places are taken than the limit allows (after
# `_LOCK_STREAMS`, so that takers count one after another).
_LIVE_PLACES = (
    select(func.count())
    .where(
        _COUNTER.subject_kind == bindparam("counter_kind"),
        _COUNTER.subject == bindparam("counter_subject"),
        _COUNTER.window >= bindparam("lease_start"),
        # The pattern in the SQL, not bound: SQLite prepares a statement anew each time a
        # LIKE's bound pattern is bound (it might allow an index), a tenth of the
        # instructions of a stream's database work (docs/benchmarks.md).
        _COUNTER.window.like(literal_column(f"'{STREAM}%'")),
    )
    .scalar_subquery()
)
_TAKE_PLACE = (
    insert(usage_counters)
    .from_select(
        ["subject_kind", "subject", "window", "used", "reserved"],
        select(
            bindparam("counter_kind", type_=String),
            bindparam("counter_subject", type_=String),
            bindparam("counter_window", type_=String),
            literal_column("1"),
            literal_column("0"),
        ).where(or_(_STREAM_LIMIT.is_(None), _STREAM_LIMIT > _LIVE_PLACES)),
    )
    .returning(_COUNTER.window)  # a row where it was taken (an INSERT's rowcount is no sure sign)
)
_COUNT_PLACES = select(_LIVE_PLACES, _STREAM_LIMIT)
# `identity.rotate_key` copies a key's place to the key it rotates to (under the same window):
# a stream of a key ends for all of them.
_END_KEY_PLACE = delete(usage_counters).where(
    _COUNTER.subject_kind == "key", _COUNTER.window == bindparam("counter_window")
)
_END_PLACE = delete(usage_counters).where(_counter_named())
_SETTLE_TOKENS = (
    update(usage_counters)
    .where(_counter_named())
    .values(
        reserved=_COUNTER.reserved - bindparam("reserved_tokens", type_=BigInteger),
        used=_COUNTER.used + bindparam("used_tokens", type_=BigInteger),
    )
)
_WRITE_LEASE = insert(leases)
_END_LEASE = delete(leases).where(leases.c.id == bindparam("lease"))
_GIVE_BACK_REQUEST = (
    update(usage_counters).where(_counter_named(), _COUNTER.used > 0).values(used=_COUNTER.used - 1)
)
# The key's row lock (a write that changes nothing), returning its validity as the lock found it.
_HOLD_KEY = (
    update(api_keys)
    .where(api_keys.c.id == bindparam("key_id"))
    .values(revoked_at=api_keys.c.revoked_at)
    .returning(api_keys.c.revoked_at, api_keys.c.expires_at)
)
# Which limits of a principal are set, as one text (`_limits_set`): each row's kind, subject
# and the letters of its limits that are not NULL, rows apart by RS, fields by US. SQLite only
# (`group_concat`): there the limits are read before the write lock, and the statement that
# checks the key under the lock also returns this, so that a limit set in between is seen
# without a statement more (`_checking_key`).
_RS, _US = "\x1e", "\x1f"
_LIMIT_LETTERS = {"requests_per_minute": "r", "tokens_per_day": "t", "concurrent_streams": "s"}
_LIMITS_SET = (
    select(
        func.group_concat(
            reduce(
                lambda text, more: text.op("||")(more),
                (
                    quota_limits.c.subject_kind,
                    literal(_US),
                    quota_limits.c.subject,
                    literal(_US),
                    *(
                        case((quota_limits.c[name].is_not(None), letter), else_="")
                        for name, letter in _LIMIT_LETTERS.items()
                    ),
                ),
            ),
            _RS,
        )
    )
    .where(
        or_(
            and_(
                quota_limits.c.subject_kind == "key",
                quota_limits.c.subject == bindparam("key_id"),
            ),
            and_(
                quota_limits.c.subject_kind == "user",
                quota_limits.c.subject == bindparam("user_name"),
            ),
            and_(
                quota_limits.c.subject_kind.in_(("group", "member")),
                quota_limits.c.subject.in_(bindparam("group_names", expanding=True)),
            ),
        )
    )
    .scalar_subquery()
    .label("limits_set")
)
_CHECKING_KEY = {
    False: select(api_keys.c.revoked_at, api_keys.c.expires_at, _LIMITS_SET).where(
        api_keys.c.id == bindparam("key_id")
    ),
    True: _HOLD_KEY.returning(_LIMITS_SET),
}


@dataclass(frozen=True)
class Headroom:
    """What one limit leaves once a request has taken from it (or, of a refusal, before), and
    when its window begins anew: the next minute, 00:00 UTC. For OpenAI's `x-ratelimit-*`."""

    limit: int
    remaining: int
    resets_at: datetime  # naive UTC, as `now`


@dataclass(frozen=True)
class Counted:
    """A counter as a refusal found it, with the limit that refused: requests this minute,
    tokens used and reserved today, or live stream places (in `used`)."""

    used: int
    reserved: int
    limit: int


def tightest(held: Headroom | None, other: Headroom | None) -> Headroom | None:
    """The limit a client meets first: fewer left, or as many left of a smaller limit."""
    if other is None:
        return held
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
        # Of concurrent_streams: the counter (kind, subject) whose places are all taken, so
        # that the gate can ask who holds them (`leases.holders`).
        self.counter: tuple[str, str] | None = None
        self.who: Message | None = None  # whose limit, in words (`_subject_named`)
        # What every limit per minute and day of the caller leaves, as a 200 tells it (the
        # tightest of each kind): filled in once the refused reservation is undone.
        self.requests_left: Headroom | None = None
        self.tokens_left: Headroom | None = None


@dataclass
class Reservation:
    """What one request holds until `settle`: tokens per day window, and open-stream places."""

    tokens: int
    request_windows: list[tuple[str, str, str]] = field(default_factory=list)
    token_windows: list[tuple[str, str, str]] = field(default_factory=list)
    stream_places: list[tuple[str, str, str]] = field(default_factory=list)  # kind, subject, row
    lease: str | None = None  # its row in `leases` (None: taken by no server process)
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
    named = and_(quota_limits.c.subject_kind == kind, quota_limits.c.subject == subject)
    with writing(engine) as conn:
        check_subject(conn, kind, subject)
        insert_or_ignore(conn, quota_limits, subject_kind=kind, subject=subject)
        before = conn.execute(select(quota_limits).where(named).with_for_update()).mappings().one()
        conn.execute(update(quota_limits).where(named).values(**limits))
        new = [name for name, value in limits.items() if value is not None and before[name] is None]
        _start_afresh(conn, kind, subject, new)


# The counter windows of each limit (LIKE patterns; `prune_counters` reads them alike).
_WINDOWS = {
    "requests_per_minute": "minute:%",
    "tokens_per_day": "day:%",
    "concurrent_streams": f"{STREAM}%",
}


def _start_afresh(conn: Connection, kind: str, subject: str, names: list[str]) -> None:
    """Counters of limits that are newly set (`names`) count from now, as `quotas set` says:
    use left from before (a limit lifted and set again the same day, or kept by another limit
    of the subject) drops to 0, open stream places are forgotten; of a per-member limit, every
    member's. Reserved tokens stay: requests still running settle them, and without them the
    new limit could be overshot."""
    counter = usage_counters.c
    if kind == "member":
        whose = counter.subject.startswith(member_counter(subject, ""), autoescape=True)
    else:
        whose = counter.subject == subject
    for name in names:
        held = and_(counter.subject_kind == kind, whose, counter.window.like(_WINDOWS[name]))
        if name == "concurrent_streams":
            conn.execute(delete(usage_counters).where(held))
        else:
            conn.execute(update(usage_counters).where(held).values(used=0))
        if name == "requests_per_minute":  # nor do the minute's failed requests
            failed = and_(counter.subject_kind == kind, whose, counter.window.like(f"{FAILED}%"))
            conn.execute(delete(usage_counters).where(failed))


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
    owner: str | None = None,
) -> Reservation | None:
    """`reserve` of a request whose tokens need not be counted, or None where a limit of
    `principal` is in tokens (count them, then `reserve`). One transaction reads the limits,
    checks the key and takes; `then`: writes that belong to the reservation (a stream's audit
    record), run in it once it is taken, also where no limit applies. On SQLite a write
    transaction locks the whole database (`store.writing`), so there a request with nothing
    to write reads first, and only one that meets a limit queues for the lock; PostgreSQL's
    locks only the rows written. Limits not in tokens are read once either way: what was
    read says which counters to take from, and each take reads its limit's value itself,
    under the lock (`_limit_of`), so a limit changed meanwhile holds as it is then. A limit
    set meanwhile where none was (a new row, or a NULL limit given a value) is seen under
    the lock by the statement that checks the key (`_checking_key`), and read then: the
    request meets it (or, in tokens, is counted). A request that found no limit at all takes
    no lock and writes nothing: it was admitted before the limit, as one a moment earlier.
    `owner`: the server process (`leases.Leases.start`) under which what the request holds is
    leased."""
    read: list[Row] | None = None
    if then is None and engine.dialect.name == "sqlite":
        with reading(engine) as conn:
            read, key = _limits_and_key(conn, principal)
            if _counts_tokens(read):
                return None
            if not read:
                refuse_unusable(principal.key_id, key, now)
                return Reservation(tokens=0)
    with _reserving(engine, principal, now) as conn:
        if read is None:
            rows, key = _limits_and_key(conn, principal)
            if _counts_tokens(rows):
                return None
            _check_key(conn, principal, rows, key, now)
        else:  # under the lock now: a limit set since the read counts (`_checking_key`)
            rows = _checking_key(conn, principal, read, now)
            if _counts_tokens(rows):
                return None
        return _take_in(conn, principal, rows, 0, stream, now, answers, then, owner)


def _counts_tokens(rows: list[Row]) -> bool:
    return any(row["tokens_per_day"] is not None for row in rows)


def _limits_of(conn: Connection, principal: Principal) -> list[Row]:
    """The limits that apply to `principal`, in one lock order (read to the end: a refusal
    after it must leave no statement open)."""
    rows = run(conn, _LIMITS_NAMED, {"names": _names(principal)})
    return _applying(rows, principal)


def _limits_and_key(conn: Connection, principal: Principal) -> tuple[list[Row], Row | None]:
    """`_limits_of`, and the validity of `principal`'s key as the same statement read it
    (`revoked_at`, `expires_at`; None where the key is gone): one statement, not two, for
    every request that reserves."""
    named = {"names": _names(principal), "key_id": principal.key_id}
    rows = run(conn, _LIMITS_AND_KEY, named)
    return _applying(rows, principal), rows[0] if rows else None


def _names(principal: Principal) -> list[str]:
    """The subjects' names of `principal`'s limits (`_subjects`), each once, sorted."""
    return sorted({subject for _kind, subject in _subjects(principal)})


def _applying(rows: list[Row], principal: Principal) -> list[Row]:
    """The limit rows of `rows` whose kind and subject apply to `principal` (a name may be a
    key's, a user's and a group's at once)."""
    subjects = set(_subjects(principal))
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
    owner: str | None = None,
) -> Reservation:
    """Take one request, `tokens` tokens and (for a stream) one open stream from every limit
    that applies to `principal`, all or nothing; `QuotaExceeded` names the first that is full,
    `AuthError` says that the key was revoked (or rotated), or expired, after it was
    authenticated: checked in the transaction that reserves, whichever limits apply (none
    too), by one read of the key's row, which is locked only where the key has limits.
    `answers`: whether the request generates text (embeddings and the lens count their input
    only, and have no max_tokens to lower). `then`: as for `reserve_uncounted`, which tells
    where a limit applies (so this takes the write transaction at once, and reads the limits
    under its lock); `owner` as there."""
    with _reserving(engine, principal, now) as conn:
        rows, key = _limits_and_key(conn, principal)
        _check_key(conn, principal, rows, key, now)
        return _take_in(conn, principal, rows, tokens, stream, now, answers, then, owner)


def _check_key(
    conn: Connection,
    principal: Principal,
    rows: list[Row],
    key: Row | None,
    now: datetime,
) -> None:
    """In a write transaction, before the takes: the key checked and, where it has limits of
    its own (`rows`), locked (`_hold_key`, which reads its validity again, as the lock finds
    it); else its validity as read with the limits (`key`): no counter of the key's own that
    a rotation would copy, nothing to lock."""
    if any(row["subject_kind"] == "key" for row in rows):
        _hold_key(conn, principal.key_id, valid_at=now)
    else:
        refuse_unusable(principal.key_id, key, now)


def _checking_key(
    conn: Connection, principal: Principal, read: list[Row], now: datetime
) -> list[Row]:
    """`_check_key` of limits `read` before the write lock (SQLite), under it now: the same
    statement also returns which limits are set (`_LIMITS_SET`). Where a limit was set since
    the read (a new row, a limit that was NULL), the limits are read again, under the lock,
    and those are the ones to take from; else `read`. A limit lifted or changed meanwhile
    needs no read: each take reads its limit's value itself (`_limit_of`)."""
    holds = any(row["subject_kind"] == "key" for row in read)
    named = {
        "key_id": principal.key_id,
        "user_name": principal.user,
        "group_names": list(principal.groups),
    }
    found = next(iter(run(conn, _CHECKING_KEY[holds], named)), None)
    refuse_unusable(principal.key_id, found, now)  # a key not found is refused here
    said = found["limits_set"] if found is not None else None
    if set(said.split(_RS) if said else ()) <= _limits_set(read):
        return read
    rows = _limits_of(conn, principal)
    if not holds and any(row["subject_kind"] == "key" for row in rows):
        _hold_key(conn, principal.key_id, valid_at=now)  # a limit of the key's own, new
    return rows


def _limits_set(rows: list[Row]) -> set[str]:
    """`_LIMITS_SET` of limit rows read, as its parts."""
    return {
        row["subject_kind"]
        + _US
        + row["subject"]
        + _US
        + "".join(letter for name, letter in _LIMIT_LETTERS.items() if row[name] is not None)
        for row in rows
    }


@contextmanager
def _reserving(engine: Engine, principal: Principal, now: datetime) -> Iterator[Connection]:
    """The write transaction of a reservation; one refused is undone, then tells every limit
    (`_telling_every_limit`)."""
    try:
        with writing(engine) as conn:
            yield conn
    except QuotaExceeded as exceeded:
        raise _telling_every_limit(engine, exceeded, principal, now) from None


def _telling_every_limit(
    engine: Engine, exceeded: QuotaExceeded, principal: Principal, now: datetime
) -> QuotaExceeded:
    """`exceeded` with what each kind of limit leaves the caller, as a 200 would tell it (the
    429's `x-ratelimit-*` headers): read once the refused reservation is undone, so they count
    nothing of it; the refusing limit as its refusal saw it. Only a 429 pays for the read."""
    minute, day = f"minute:{now:%Y-%m-%dT%H:%M}", f"day:{now:%Y-%m-%d}"
    requests = exceeded.headroom if exceeded.limit == "requests_per_minute" else None
    tokens = exceeded.headroom if exceeded.limit == "tokens_per_day" else None
    with reading(engine) as conn:
        limits = [
            (row["subject_kind"], _counted_as(row["subject_kind"], row["subject"], principal), row)
            for row in _limits_of(conn, principal)
        ]
        wanted = [
            _is_counter(kind, subject, window)
            for kind, subject, row in limits
            for name, window in (("requests_per_minute", minute), ("tokens_per_day", day))
            if row[name] is not None
        ]
        counts = {
            (c.subject_kind, c.subject, c.window): int(c.used) + int(c.reserved)
            for c in (conn.execute(select(usage_counters).where(or_(*wanted))) if wanted else ())
        }
    for kind, subject, row in limits:
        if (rpm := row["requests_per_minute"]) is not None:
            taken = counts.get((kind, subject, minute), 0)
            left = Headroom(rpm, max(0, rpm - taken), _minute_end(now))
            requests = tightest(requests, left)
        if (tpd := row["tokens_per_day"]) is not None:
            taken = counts.get((kind, subject, day), 0)
            tokens = tightest(tokens, Headroom(tpd, max(0, tpd - taken), day_end(now)))
    exceeded.requests_left, exceeded.tokens_left = requests, tokens
    return exceeded


def _take_in(
    conn: Connection,
    principal: Principal,
    rows: list[Row],
    tokens: int,
    stream: bool,
    now: datetime,
    answers: bool,
    then: Then | None,
    owner: str | None = None,
) -> Reservation:
    """In a write transaction, after the key's check (`_check_key`): each limit of `rows`
    taken, then the lease of what the request holds (where `owner` names the server process,
    and it holds anything a stop would leave behind), then `then`; a refusal raises before
    them. One place name for all the request's stream places: its lease finds them by it."""
    reservation = Reservation(tokens=tokens)
    minute, day = f"minute:{now:%Y-%m-%dT%H:%M}", f"day:{now:%Y-%m-%d}"
    place = f"{STREAM}{now:{STAMP}}:{uuid.uuid4().hex[:8]}"  # fits the 32 characters
    for row in rows:
        kind, limited_subject = row["subject_kind"], row["subject"]
        counter = (kind, _counted_as(kind, limited_subject, principal))
        refused = partial(_refused, kind, limited_subject, principal.user, now=now)
        if row["requests_per_minute"] is not None:
            name = "requests_per_minute"
            taken = _take(conn, counter, minute, 1, row, name, now)
            if isinstance(taken, Counted):
                failed = _failed_in(conn, counter, minute)
                said = partial(_rpm_used_up, failed=failed, resets_at=_minute_end(now))
                raise refused(name, taken.limit, taken.used, 0, 1, said)
            reservation.request_windows.append((*counter, minute))
            reservation.requests_left = tightest(reservation.requests_left, taken)
        if row["tokens_per_day"] is not None:
            name = "tokens_per_day"
            taken = _take(conn, counter, day, tokens, row, name, now)
            if isinstance(taken, Counted):
                said = partial(_tokens_refused, answers=answers, resets_at=day_end(now))
                raise refused(name, taken.limit, taken.used, taken.reserved, tokens, said)
            reservation.token_windows.append((*counter, day))
            reservation.tokens_left = tightest(reservation.tokens_left, taken)
        if stream and row["concurrent_streams"] is not None:
            full = _take_stream(conn, counter, row, now, place)
            if full is not None:
                exceeded = refused("concurrent_streams", full.limit, full.used, 0, 1, _streams_open)
                exceeded.counter = counter
                raise exceeded
            reservation.stream_places.append((*counter, place))
    if owner is not None and (reservation.token_windows or reservation.stream_places):
        reservation.lease = uuid.uuid4().hex
        held = [*reservation.token_windows, *reservation.stream_places]
        run(
            conn,
            _WRITE_LEASE,
            {
                "id": reservation.lease,
                "process": owner,
                "place": place if reservation.stream_places else None,
                "tokens": tokens,
                "counters": [list(counter) for counter in held],
            },
        )
    if then is not None:
        then(conn)
    return reservation


def held_by_lease(lease: Row) -> Reservation:
    """The reservation a lease row (`leases`) holds, to settle it as `settle` would."""
    reservation = Reservation(tokens=int(lease["tokens"]), lease=lease["id"])
    for kind, subject, window in lease["counters"]:
        held = reservation.stream_places if window.startswith(STREAM) else reservation.token_windows
        held.append((kind, subject, window))
    return reservation


def _failed_in(conn: Connection, counter: tuple[str, str], minute: str) -> int:
    """Requests of the `minute` window on `counter` that the engine failed to answer."""
    failed = FAILED + minute.removeprefix("minute:")
    found = conn.execute(
        select(usage_counters.c.used).where(_is_counter(*counter, failed))
    ).scalar()
    return int(found or 0)


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
    ends = {"requests_per_minute": _minute_end, "tokens_per_day": day_end}.get(name)
    left = None if ends is None else Headroom(limit, max(0, limit - used - reserved), ends(now))
    who = _subject_named(kind, subject, user)
    exceeded = QuotaExceeded(refusal, said(who, refusal), wait, left)
    exceeded.who = who
    return exceeded


def held_by_stopped(exceeded: QuotaExceeded, until: datetime, now: datetime) -> QuotaExceeded:
    """`exceeded` of concurrent_streams where every place is held by a stream of a server
    process that stopped (killed, or its machine gone) and is freed by `until` at the latest
    (`leases.holders`): said so, and Retry-After counted to then, not a second that would
    only make the client ask again in vain."""
    names = {"limit": LIMIT_NAMES["concurrent_streams"], "who": exceeded.who}
    freed = {"until": local_clock(until), "command": "`gemeingut admin quotas free-streams`"}
    if exceeded.refusal.limit == 1:
        said = _(
            "the limit '{limit}' of {who}: the 1 stream allowed is held by a stream of a server "
            "process that stopped; it may hold the place until {until} (an administrator can "
            "free it at once: {command})",
            **names,
            **freed,
        )
    else:
        said = _(
            "the limit '{limit}' of {who}: the {streams} streams allowed are held by streams of "
            "server processes that stopped; they may hold the first place until {until} (an "
            "administrator can free them at once: {command})",
            streams=exceeded.refusal.limit,
            **names,
            **freed,
        )
    wait = max(1, math.ceil((until - now).total_seconds()))
    restated = QuotaExceeded(exceeded.refusal, said, wait, exceeded.headroom)
    restated.who, restated.counter = exceeded.who, exceeded.counter
    restated.requests_left, restated.tokens_left = exceeded.requests_left, exceeded.tokens_left
    return restated


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


def _rpm_used_up(who: Message, refusal: Refusal, resets_at: datetime, failed: int = 0) -> Message:
    """Says that every request counts, also one the engine failed to answer (`settle`): where
    `failed` of those counted this minute were such; and when the next minute (`resets_at`,
    in the server's local time) admits requests again, as the day's limit says its 00:00."""
    rpm, limit = refusal.limit, LIMIT_NAMES["requests_per_minute"]
    if rpm == 0:
        return _("the limit '{limit}' of {who} is 0: no requests are allowed", limit=limit, who=who)
    if rpm == 1:
        said = _(
            "the limit '{limit}' of {who}: the 1 request per minute is used up",
            limit=limit,
            who=who,
        )
    else:
        said = _(
            "the limit '{limit}' of {who}: {rpm} requests per minute are used up",
            limit=limit,
            who=who,
            rpm=rpm,
        )
    if failed:
        said = plural(
            failed,
            _("{said} (1 of them the engine failed to answer: it counts too)", said=said),
            _(
                "{said} ({n} of them the engine failed to answer: they count too)",
                said=said,
                n=failed,
            ),
        )
    return _("{said}; wait until {reset}", said=said, reset=local_clock(resets_at))


def _tokens_refused(who: Message, refusal: Refusal, answers: bool, resets_at: datetime) -> Message:
    """Why the tokens do not fit; waiting for the day's end (`resets_at`, 00:00 UTC, said in
    the server's local time: `local_clock`) is suggested only where it helps, and a smaller
    request only where some tokens are left. `answers`: the request generates (it can ask for
    fewer max_tokens), or counts its input."""
    tpd, tokens, limit = refusal.limit, refusal.requested, LIMIT_NAMES["tokens_per_day"]
    taken = refusal.used + refusal.reserved
    if tpd == 0:
        return _("the limit '{limit}' of {who} is 0: no tokens are allowed", limit=limit, who=who)
    if tokens > tpd and answers:
        return _(
            "the limit '{limit}' of {who} is {tpd}, and this request may use up to {tokens} "
            "(prompt and the longest answer), more than a whole day allows; ask for fewer "
            "max_tokens",
            limit=limit,
            who=who,
            tpd=tpd,
            tokens=tokens,
        )
    if tokens > tpd:
        return _(
            "the limit '{limit}' of {who} is {tpd}, and this request's input counts up to "
            "{tokens}, more than a whole day allows; send less text",
            limit=limit,
            who=who,
            tpd=tpd,
            tokens=tokens,
        )
    if taken >= tpd:  # no answer fits, however short: only the new day helps
        return _(
            "the limit '{limit}' of {who}: {taken} of {tpd} tokens are used or reserved today, "
            "none are left; wait until {reset}",
            limit=limit,
            who=who,
            taken=taken,
            tpd=tpd,
            reset=local_clock(resets_at),
        )
    if answers:
        return _(
            "the limit '{limit}' of {who}: {taken} of {tpd} tokens are used or reserved today, "
            "and this request may use up to {tokens} (prompt and the longest answer); ask for "
            "fewer max_tokens or wait until {reset}",
            limit=limit,
            who=who,
            taken=taken,
            tpd=tpd,
            tokens=tokens,
            reset=local_clock(resets_at),
        )
    return _(
        "the limit '{limit}' of {who}: {taken} of {tpd} tokens are used or reserved today, and "
        "this request's input counts up to {tokens}; send less text or wait until {reset}",
        limit=limit,
        who=who,
        taken=taken,
        tpd=tpd,
        tokens=tokens,
        reset=local_clock(resets_at),
    )


def _streams_open(who: Message, refusal: Refusal) -> Message:
    """Says that the limit counts streams only: a request without stream is not held by it."""
    streams = refusal.limit
    names = {
        "limit": LIMIT_NAMES["concurrent_streams"],
        "rpm": LIMIT_NAMES["requests_per_minute"],
        "tpd": LIMIT_NAMES["tokens_per_day"],
    }
    if streams == 0:
        return _(
            "the limit '{limit}' of {who} is 0: no streams are allowed (requests without stream "
            "are limited by '{rpm}' and '{tpd}' only)",
            who=who,
            **names,
        )
    if streams == 1:
        return _(
            "the limit '{limit}' of {who}: the 1 stream allowed is open already (this limit "
            "counts streams only; requests without stream are limited by '{rpm}' and '{tpd}')",
            who=who,
            **names,
        )
    return _(
        "the limit '{limit}' of {who}: {streams} streams are open already (this limit counts "
        "streams only; requests without stream are limited by '{rpm}' and '{tpd}')",
        who=who,
        streams=streams,
        **names,
    )


def settle(
    conn: Connection,
    reservation: Reservation,
    used_tokens: int,
    refused_unworked: bool = False,
    failed: bool = False,
) -> None:
    """Turn the reserved tokens into the `used_tokens` really used; give back stream places,
    and with `refused_unworked` (the server refused before any work: a full queue, the
    database down) the request taken from requests_per_minute. Not for a request the engine
    failed to answer (settled to 0 tokens by its caller): it took the engine's time, and a
    prompt that makes the engine fail would otherwise never be rate-limited; the 429 of
    requests_per_minute says that such requests count: `failed` (the engine failed to answer)
    notes it beside the request's minute. In the caller's write transaction, which also
    completes the request's audit record. A lease already settled (its process was taken for
    stopped: `leases.reclaim`) is not settled again."""
    lease = reservation.lease
    if lease is not None and run_counted(conn, _END_LEASE, {"lease": lease}) == 0:
        return
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
        for counter in reservation.request_windows:
            run(conn, _GIVE_BACK_REQUEST, _named(*counter))
    elif failed:
        for kind, subject, window in reservation.request_windows:
            _note_failed(conn, kind, subject, FAILED + window.removeprefix("minute:"))
    tokens = {"reserved_tokens": reservation.tokens, "used_tokens": used_tokens}
    for counter in reservation.token_windows:
        run(conn, _SETTLE_TOKENS, _named(*counter) | tokens)
    for kind, subject, place in reservation.stream_places:
        # A key's place is also held by the keys it was rotated to (`identity.rotate_key`
        # copies it under its unique name): the stream ends for all of them.
        ending = _END_KEY_PLACE if kind == "key" else _END_PLACE
        run(conn, ending, _named(kind, subject, place))


def _note_failed(conn: Connection, kind: str, subject: str, window: str) -> None:
    """One more request of a minute (`window`) that the engine failed to answer."""
    insert_or_ignore(
        conn, usage_counters, subject_kind=kind, subject=subject, window=window, used=0, reserved=0
    )
    conn.execute(
        update(usage_counters)
        .where(_is_counter(kind, subject, window))
        .values(used=usage_counters.c.used + 1)
    )


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
            1 for window in rows if window.startswith(STREAM) and window >= lease_start(now)
        ),
    }


def prune_counters(engine: Engine, now: datetime) -> int:
    """Forget minute windows before this minute, day windows before yesterday, and stream
    places past their lease (of streams whose process died)."""
    minute, day = f"minute:{now:%Y-%m-%dT%H:%M}", f"day:{now - timedelta(days=1):%Y-%m-%d}"
    failed = f"{FAILED}{now:%Y-%m-%dT%H:%M}"
    window = usage_counters.c.window
    with writing(engine) as conn:
        done = conn.execute(
            delete(usage_counters).where(
                or_(
                    and_(window.like("minute:%"), window < minute),
                    and_(window.like(f"{FAILED}%"), window < failed),
                    and_(window.like("day:%"), window < day),
                    and_(window.like(f"{STREAM}%"), window < lease_start(now)),
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
    row = next(iter(run(conn, _HOLD_KEY, {"key_id": key_id})), None)
    if valid_at is not None:  # as the lock found it: what a rotation just committed
        refuse_unusable(key_id, row, valid_at)


def _take_stream(
    conn: Connection, counter: tuple[str, str], row: Row, now: datetime, place: str
) -> Counted | None:
    """Take the stream place `place` (a window name) on the counter (kind, subject) under the
    limit `row`; where the limit has no room, the live places and the limit (`Counted`). The
    subject's `streams` row is locked first, so concurrent takers count one after another; the
    place is inserted where the count leaves room, in one statement."""
    kind, subject = counter
    subject_named = {"counter_kind": kind, "counter_subject": subject}
    # Made once per subject: the lock is tried first, the row inserted where it is missing.
    if run_counted(conn, _LOCK_STREAMS, subject_named) == 0:
        insert_or_ignore(
            conn, usage_counters, subject_kind=kind, subject=subject, window="streams", used=0,
            reserved=0,
        )  # fmt: skip
        run(conn, _LOCK_STREAMS, subject_named)
    live = _live_named(kind, subject, now) | _limit_named(row)
    if run(conn, _TAKE_PLACE, live | {"counter_window": place}):
        return None
    places, limit = conn.execute(_COUNT_PLACES, live).one()
    return Counted(int(places), 0, _as_refused(limit, row, "concurrent_streams"))


def _live_named(kind: str, subject: str, now: datetime) -> dict[str, str]:
    """The bind parameters of `_LIVE_PLACES`: a subject's places whose lease still runs."""
    return {"counter_kind": kind, "counter_subject": subject, "lease_start": lease_start(now)}


def lease_start(now: datetime) -> str:
    """The window name below which a stream place has outlived its lease."""
    return f"{STREAM}{now - STREAM_LEASE:{STAMP}}"


def _take(
    conn: Connection,
    counter: tuple[str, str],
    window: str,
    n: int,
    row: Row,
    name: str,
    now: datetime,
) -> Headroom | Counted | None:
    """Take `n` from the counter (kind, subject) where the limit `name` of the limit `row`
    leaves room: what the limit leaves after, from what the UPDATE returns (no read of its own; None
    where the limit was lifted since it was read); where it had no room, the counter and the
    limit that refused (`Counted`). The UPDATE comes first: where it finds no row (a window's
    first request) or no room, the counter is made where missing and the UPDATE tried again.
    A counter that exists takes in one statement; a new window costs two more, a refusal
    three."""
    kind, subject = counter
    named = _named(kind, subject, window) | _limit_named(row)
    taking = named | {"n": n}
    taken = run(conn, _TAKE[name], taking)
    if not taken:
        insert_or_ignore(
            conn, usage_counters, subject_kind=kind, subject=subject, window=window, used=0,
            reserved=0,
        )  # fmt: skip
        taken = run(conn, _TAKE[name], taking)
    if not taken:
        found = conn.execute(_COUNTS[name], named).one()  # the row exists: made above
        return Counted(int(found.used), int(found.reserved), _as_refused(found.limit, row, name))
    after = taken[0]  # the counter as the take left it, and its limit
    if after["limit"] is None:
        return None
    limit = int(after["limit"])
    ends = _minute_end(now) if name == "requests_per_minute" else day_end(now)
    return Headroom(limit, limit - int(after["used"]) - int(after["reserved"]), ends)


def _limit_named(row: Row) -> dict[str, str]:
    """The bind parameters of the limit `row` (`_limit_of`)."""
    return {"limit_kind": row["subject_kind"], "limit_subject": row["subject"]}


def _as_refused(found: int | None, row: Row, name: str) -> int:
    """The limit that refused, as the refusal's read found it; as it was read before where it
    has been lifted since (PostgreSQL: between the refusing UPDATE and that read)."""
    return int(row[name] if found is None else found)


def _named(kind: str, subject: str, window: str) -> dict[str, str]:
    """The bind parameters of one counter (`_counter_named`)."""
    return {"counter_kind": kind, "counter_subject": subject, "counter_window": window}


def _is_subject(table, kind: str, subject: str):
    return and_(table.c.subject_kind == kind, table.c.subject == subject)


def _is_counter(kind: str, subject: str, window: str):
    return and_(_is_subject(usage_counters, kind, subject), usage_counters.c.window == window)


def check_subject(conn: Connection, kind: str, subject: str) -> None:
    """An `InputError` where the key, user or group named does not exist."""
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
    return max(1, int((day_end(now) - now).total_seconds()))


def _minute_end(now: datetime) -> datetime:
    """When the window `minute:…` of `now` ends."""
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def day_end(now: datetime) -> datetime:
    """When the window `day:…` of `now` ends: 00:00 UTC."""
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
