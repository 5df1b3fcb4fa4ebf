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

from gemeingut.i18n import Message, _

# Zone abbreviations that German writes otherwise; any other stays as the zone database has it.
_ZONE_WORDS = {"CET": _("CET"), "CEST": _("CEST")}


def local_clock(at: datetime) -> Message:
    """`at` (naive UTC, as the tables keep time) as the server's local time of day with its
    zone: "01:00 (CET)", „01:00 Uhr (MEZ)“."""
    local = _local(at)
    zone = _zone(local)
    return _("{clock} ({zone})", clock=local.strftime("%H:%M"), zone=_ZONE_WORDS.get(zone, zone))


def local_date_time(at: datetime) -> Message:
    """`at` (naive UTC) as the server's local date and time with its zone, as each language
    writes a date: "2027-01-31 18:00 (CET)", „31.01.2027, 18:00 Uhr (MEZ)“."""
    local = _local(at)
    day = _(
        "{year}-{month}-{day}",
        year=f"{local.year:04d}",
        month=f"{local.month:02d}",
        day=f"{local.day:02d}",
    )
    return _("{date} {clock}", date=day, clock=local_clock(at))


def _local(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC).astimezone()


def _zone(local: datetime) -> str:
    """The name of `local`'s zone, as `date` shows it; "UTC" for a zone without offset and
    without summer time, whatever name `TZ` gave it."""
    if local.utcoffset() == timedelta(0) and not time.daylight:
        return "UTC"
    return local.tzname() or local.strftime("%z")
