"""Database failures in the server log: a traceback when the database starts failing, then
at most one a minute with the number of failures not logged one by one.

While the database is down every request fails there, often twice (its reservation, then the
record of its 503): a log of two tracebacks per request wrote 74,211 lines in a six-second
PostgreSQL outage under three clients, hiding the one line an operator needs. `/ready` says
when the database answers again (`gate.database_answers`)."""

from __future__ import annotations

import logging
import threading
import time

from gemeingut.i18n import Message, _, plural, text

QUIET_S = 60.0  # after a traceback, the next one no sooner than this

_lock = threading.Lock()
_shown_at: float | None = None  # when the last traceback was logged (monotonic seconds)
_not_shown = 0  # failures since then, not logged one by one


def log_database_failure(log: logging.Logger, said: Message, error: BaseException) -> None:
    """Log `said` with `error`'s traceback, unless one was logged less than `QUIET_S` ago:
    then count it, to be said with the next one logged."""
    global _shown_at, _not_shown
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
