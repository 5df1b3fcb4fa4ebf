"""When a limit resets or a key expired, as people read the clock: in the server's time zone.

The windows stay UTC days (`quotas`: one name per window for every server process, whatever
its zone), and the tables keep naive UTC; only what a sentence says is local, with the zone
named, so that nobody in Berlin waits for midnight when the tokens come back at 01:00. The
zone is the operator's: the server process's `TZ` (or the system's), as `date` shows it.
Machine-readable fields (ISO 8601 in JSON, exports) stay UTC.

A zone that is UTC all year is named UTC (`_zone`): a `TZ` that names no zone the C library
can read (a typo such as `Europe/Berlln`, or no zone data installed) leaves the clock at UTC
but named after the text ("Europe"), which readers in Berlin would take for their own clock.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time

from gemeingut.i18n import Message, _

# Zone abbreviations that German writes otherwise; any other stays as the zone database has it.
_ZONE_WORDS = {"CET": _("CET"), "CEST": _("CEST")}


def iso_utc(value: datetime) -> str:
    """A stored (naive UTC) time as ISO 8601 that says it is UTC (`Z`): the form of every
    time in JSON and exports, the admin tables' and the record of processing activities'."""
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def local_clock(at: datetime) -> Message:
    """`at` (naive UTC, as the tables keep time) as the server's local time of day with its
    zone: "01:00 (CET)", „01:00 Uhr (MEZ)“."""
    local = _local(at)
    return _clock(local, local.strftime("%H:%M"))


def local_date_time(at: datetime) -> Message:
    """`at` (naive UTC) as the server's local date and time with its zone, as each language
    writes a date: "2027-01-31 18:00 (CET)", „31.01.2027, 18:00 Uhr (MEZ)“."""
    local = _local(at)
    return _("{date} {clock}", date=_date(local), clock=_clock(local, local.strftime("%H:%M")))


def local_expiry(at: datetime) -> Message:
    """An expiry `at` (naive UTC) as `local_date_time` says it, except that local midnight is
    the end of the day before, 24:00, as DIN 5008 writes it: a key made with `--expires
    31.01.2027` (it works all that day) reads back „31.01.2027, 24:00 Uhr (MEZ)“, the date
    that was typed, not „01.02.2027, 00:00 Uhr“."""
    local = _local(at)
    if local.time() != dt_time(0):
        return local_date_time(at)
    return _("{date} {clock}", date=_date(local - timedelta(days=1)), clock=_clock(local, "24:00"))


def _date(local: datetime) -> Message:
    return _(
        "{year}-{month}-{day}",
        year=f"{local.year:04d}",
        month=f"{local.month:02d}",
        day=f"{local.day:02d}",
    )


def _clock(local: datetime, hours_minutes: str) -> Message:
    zone = _zone(local)
    return _("{clock} ({zone})", clock=hours_minutes, zone=_ZONE_WORDS.get(zone, zone))


def _local(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC).astimezone()


def _zone(local: datetime) -> str:
    """The name of `local`'s zone, as `date` shows it; "UTC" for a zone without offset and
    without summer time, whatever name `TZ` gave it."""
    if local.utcoffset() == timedelta(0) and not time.daylight:
        return "UTC"
    return local.tzname() or local.strftime("%z")
