"""Retention, enforced by the server itself: audit records (and, where the deployment logs it,
content) older than the deployment's period are deleted, and quota counters of past windows are
forgotten, once an hour.

The periods belong to the deployment, not to one server process: every server of one database
must delete alike, and `admin audit records` and `admin audit purge` must read the period the
servers apply. So they are stored once in the database (`shared.*` in `settings`): the first
server started with `--audit-retention-days` (or `--content-log-days`) stores its value, a
server started without the option uses the stored one, and one started with another value is
refused, naming both (`agree_retention`). `admin audit retention` and `admin content retention`
change them on purpose (`set_retention`); every running server follows such a change: the
hourly tidy reads them each time, and what a request needs of them (is content logged? what
does /v1/policy say?) is read again every `REREAD_SECONDS` by a thread of its own
(`LivePeriods`), so that content logging switched off stops within seconds, without a restart.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, plural, text
from gemeingut.serve.database_failures import log_database_failure
from gemeingut.serve.gateway.audit_log import purge
from gemeingut.serve.gateway.content_log import purge_content
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.quotas import prune_counters
from gemeingut.serve.gateway.store import insert_or_ignore, writing
from gemeingut.serve.gateway.tables import settings

TIDY_EVERY_SECONDS = 3600
REREAD_SECONDS = 3.0  # how stale a running server's periods may be (one small query)
AUDIT_DAYS = "audit_retention_days"
CONTENT_DAYS = "content_log_days"
SHARED = (AUDIT_DAYS, CONTENT_DAYS)
SHARED_PREFIX = "shared."
OFF = "off"  # decided by an administrator: no period (audit) or no content logged
# The option that sets each at start, and the admin command that changes it.
OPTIONS = {AUDIT_DAYS: "--audit-retention-days", CONTENT_DAYS: "--content-log-days"}
COMMANDS = {
    AUDIT_DAYS: "gemeingut admin audit retention",
    CONTENT_DAYS: "gemeingut admin content retention",
}
log = logging.getLogger("gemeingut.serve")


@dataclass(frozen=True)
class Retention:
    """The deployment's periods in days; None: audit records stay, content is not logged."""

    audit_days: int | None
    content_days: int | None


class LivePeriods:
    """The periods stored now, as a running server applies them: a daemon thread reads them
    every `every` seconds, and a request only reads the values it kept, so that a database
    that is slow, away or holds a malformed value never delays or fails a request. A period not
    stored is the one this server was given (`started`); while the database fails (or holds
    a value that is no number of days), the last values read apply, and the server log says
    so once per outage."""

    def __init__(self, engine: Engine, every: float = REREAD_SECONDS) -> None:
        self.engine = engine
        self.every = every
        self._days: dict[str, int | None] = {}  # None: off; absent: none stored
        self._failing = False
        self._refresh()  # at start, before any request (a failure: the options apply)
        self._pid = 0
        self._follow()

    def days(self, name: str, started: int | None) -> int | None:
        """`name`'s period in days now (None: off), `started` where none is stored; from
        memory, never raising."""
        if self._pid != os.getpid():  # a worker forked after the start: no thread came along
            self._follow()
        return self._days.get(name, started)

    def _follow(self) -> None:
        """Read the periods again every `every` seconds in a daemon thread, until this object
        is gone (it holds only a weak reference)."""
        self._pid = os.getpid()
        ref, every = weakref.ref(self), self.every

        def run() -> None:
            while True:
                time.sleep(every)
                periods = ref()
                if periods is None or periods._pid != os.getpid():
                    return
                periods._refresh()
                del periods

        threading.Thread(target=run, name="gemeingut-periods", daemon=True).start()

    def _refresh(self) -> None:
        try:
            self._days = {
                name: _days_of(value) for name, value in stored_values(self.engine).items()
            }
        except Exception as error:  # any failure: the last values apply, said once
            if not self._failing:
                self._failing = True
                said = _(
                    "the stored retention could not be read; the last one read applies until "
                    "it can be read again"
                )
                log_database_failure(log, said, error)  # an outage: one line for all
            return
        if self._failing:
            self._failing = False
            log.warning("%s", text(_("the stored retention can be read again")))


def _days_of(value: str) -> int | None:
    """A stored value in days (None: off); ValueError for one that is neither."""
    return None if value == OFF else int(value)


def stored_retention(engine: Engine) -> Retention:
    with engine.connect() as conn:
        return _as_retention(_stored(conn))


def stored_values(engine: Engine) -> dict[str, str]:
    """Each shared setting as stored: a number of days, or `off`; absent where none is."""
    with engine.connect() as conn:
        return _stored(conn)


def agree_retention(engine: Engine, audit_days: int | None, content_days: int | None) -> Retention:
    """The periods a starting server applies: what the database holds, where the option was
    left out (None); the option's value where the database holds none yet (it is stored then).
    A value that differs from the stored one is an `InputError` naming both."""
    given = {AUDIT_DAYS: audit_days, CONTENT_DAYS: content_days}
    with writing(engine) as conn:
        for name, days in given.items():
            if days is not None:  # two servers starting at once: the first insert wins
                insert_or_ignore(conn, settings, name=SHARED_PREFIX + name, value=str(days))
        stored = _stored(conn)
        for name, days in given.items():
            if days is not None and stored[name] != str(days):
                raise _conflict(name, days, stored[name])  # rolls back what was inserted
    return _as_retention(stored)


def set_retention(engine: Engine, name: str, days: int | None) -> str | None:
    """Store `days` (None: off) as the deployment's `name`; returns the value it replaces."""
    with writing(engine) as conn:
        before = _stored(conn).get(name)
        key = SHARED_PREFIX + name
        conn.execute(settings.delete().where(settings.c.name == key))
        conn.execute(settings.insert().values(name=key, value=OFF if days is None else str(days)))
    return before


def days_said(name: str, value: str | None) -> Message:
    """A stored value of `name` as a person reads it: `90 days`, or what none means."""
    if (value is None or value == OFF) and name == AUDIT_DAYS:
        return _("none (records stay until `gemeingut admin audit purge` deletes them)")
    if value is None or value == OFF:
        return _("off (no content is logged)")
    days = int(value)
    return plural(days, _("1 day"), _("{days} days", days=days))


def _stored(conn: Connection) -> dict[str, str]:
    rows = conn.execute(
        select(settings.c.name, settings.c.value).where(
            settings.c.name.in_([SHARED_PREFIX + name for name in SHARED])
        )
    ).all()
    return {name.removeprefix(SHARED_PREFIX): value for name, value in rows}


def _as_retention(stored: dict[str, str]) -> Retention:
    def days(name: str) -> int | None:
        value = stored.get(name)
        return int(value) if value and value != OFF else None

    return Retention(days(AUDIT_DAYS), days(CONTENT_DAYS))


def _conflict(name: str, given: int, stored: str) -> InputError:
    option, command = OPTIONS[name], COMMANDS[name]
    message = _(
        "{option} {given} differs from the value stored in the database for all of its "
        "servers: {stored}",
        option=option,
        given=str(given),
        stored=days_said(name, stored),
    )
    if stored == OFF:
        hint = _(
            "every server of one database must use the same value: start this one without "
            "{option} (it then uses the stored value); to change it for all of them: "
            "`{command} --days {given}` (running servers follow within seconds)",
            option=option,
            command=command,
            given=str(given),
        )
    else:
        hint = _(
            "every server of one database must use the same value: start this one with "
            "{option} {stored} or without {option} (it then uses the stored value); to change "
            "it for all of them: `{command} --days {given}` (running servers follow within "
            "seconds)",
            option=option,
            stored=stored,
            command=command,
            given=str(given),
        )
    return InputError(message, hint)


def tidy_once(
    engine: Engine, retention_days: int | None, now: datetime, content_days: int | None = None
) -> tuple[int, int]:
    """(audit records deleted, counter rows forgotten) at `now`; logged content older than
    `content_days` goes too, all of it when content is not logged (any more)."""
    purged = purge(engine, now - timedelta(days=retention_days)) if retention_days else 0
    # Content logging switched off: what an earlier start kept has no documented purpose left.
    purge_content(engine, now - timedelta(days=content_days) if content_days else now)
    return purged, prune_counters(engine, now)


def keep_tidy(engine: Engine) -> threading.Event:
    """Tidy now and then every hour in a daemon thread, by the periods stored at that time;
    set the returned event to stop."""
    stop = threading.Event()

    def run() -> None:
        while True:
            try:
                periods = stored_retention(engine)
                purged, pruned = tidy_once(
                    engine, periods.audit_days, utcnow(), periods.content_days
                )
                said = _(
                    "retention: {records} audit records deleted, {counters} counters pruned",
                    records=purged,
                    counters=pruned,
                )
                log.info("%s", text(said))
            except Exception:  # the database away for a moment, a malformed stored period:
                log.exception("%s", text(_("retention could not run")))  # again in an hour
            if stop.wait(TIDY_EVERY_SECONDS):
                return

    threading.Thread(target=run, name="gemeingut-retention", daemon=True).start()
    return stop
