"""Database failures in the server log: a traceback when the database starts failing, then
at most one a minute with the number of failures not logged one by one.

While the database is down every request fails there, often twice (its reservation, then the
record of its 503): a log of two tracebacks per request wrote 74,211 lines in a six-second
PostgreSQL outage under three clients, hiding the one line an operator needs. `/ready` says
when the database answers again (`gate.database_answers`).

A database that does not answer at all (restarted, failed over, unreachable) is one outage,
not a fault to debug: it is said in one line, what and since when, without a traceback or the
SQL that met it, once per outage (failures less than `OUTAGE_GAP_S` apart belong to one)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from datetime import UTC, datetime

from sqlalchemy.exc import DBAPIError, OperationalError

from gemeingut.i18n import Message, _, plural, text

QUIET_S = 60.0  # after a traceback, the next one no sooner than this

_lock = threading.Lock()
_shown_at: float | None = None  # when the last traceback was logged (monotonic seconds)
_not_shown = 0  # failures since then, not logged one by one
OUTAGE_GAP_S = 10.0  # failures to reach the database this close belong to one outage
_outage_seen: float | None = None  # the last failure to reach it (monotonic seconds)


def log_database_failure(log: logging.Logger, said: Message, error: BaseException) -> None:
    """Log `said` with `error`'s traceback, unless one was logged less than `QUIET_S` ago:
    then count it, to be said with the next one logged."""
    global _shown_at, _not_shown
    if unreachable(error):
        _log_outage(log, said, error)
        return
    now = time.monotonic()
    with _lock:
        if _shown_at is not None and now - _shown_at < QUIET_S:
            _not_shown += 1
            return
        quiet, _shown_at, _not_shown = _not_shown, now, 0
    if quiet:
        more = plural(
            quiet,
            _("1 more database failure since the last one logged, not logged by itself"),
            _("{count} more database failures since the last one logged, not logged one by one",
              count=str(quiet)),
        )  # fmt: skip
        log.error("%s", text(more))
    log.error("%s", text(said), exc_info=error)


# SQLSTATEs of a server that is away: a connection exception (class 08), or one shutting
# down or starting (57P01-57P03). PostgreSQL's other operational errors — a deadlock (40P01),
# a serialization failure (40001), a statement timeout (57014), a full disk (53100) — are
# faults of one statement, not an outage: they keep their traceback.
_AWAY = ("08", "57P01", "57P02", "57P03")


def unreachable(error: BaseException) -> bool:
    """Whether `error` says that the database server could not be reached or ended the
    connection, rather than refused a statement. SQLite has no server: its operational
    errors (a missing table, a full disk) are faults, with their traceback."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError) or isinstance(error.orig, sqlite3.Error):
        return False
    state = getattr(error.orig, "sqlstate", None)  # None: no server answered at all
    return state is None or state.startswith(_AWAY)


def _log_outage(log: logging.Logger, said: Message, error: BaseException) -> None:
    """One line for the first failure of an outage: what failed, since when, and why in the
    driver's first line; the later ones of the same outage are not logged."""
    from gemeingut.serve.gateway.leases import driver_reason

    global _outage_seen
    now = time.monotonic()
    with _lock:
        new = _outage_seen is None or now - _outage_seen > OUTAGE_GAP_S
        _outage_seen = now
    if not new:
        return
    line = _(
        "the database does not answer since {time} ({cause}): requests that need it get 503 "
        "with Retry-After until it answers again; first noticed: {said}",
        time=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        cause=driver_reason(error),  # type: ignore[arg-type]
        said=said,
    )
    log.error("%s", text(line))
