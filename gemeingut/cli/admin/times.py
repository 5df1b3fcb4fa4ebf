"""Times as an operator types and reads them: durations and local dates in (out: the local
date and time of `local_clock`); the tables keep naive UTC, JSON and CSV say UTC with `Z`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.i18n.visible import visible
from gemeingut.serve.limits import MOST_DAYS

DURATION = re.compile(r"^(\d+)\s*([dhm])$")
# 31.01.2027 or 31.01.2027 18:00, as German forms write a date; a bare date is a whole day.
GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T]+(\d{1,2}):(\d{2}))?$")


def point_in_time(value: str, future: bool, option: str, day_end: bool = False) -> datetime:
    """Naive UTC, as the tables keep time, for `value` of `option`: `30d`, `12h`, `15m` from
    now (future) or ago; or an ISO or German date/time (31.01.2027 18:00), converted from its
    offset or, without one, from this machine's local time (what a person at it means by
    08:00). A bare date is its start, or with `day_end` the end of that day (a key that
    `--expires 31.01.2027` still works on the 31st)."""
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
    if not value.strip():
        raise InputError(
            _("{option} is empty", option=option),
            _("give a duration or a date, e.g. {example}", example=f"{option} 90d"),
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
        when = _date_time(value.strip(), day_end)
    except OverflowError:  # the end of 31.12.9999
        raise out_of_range from None
    except ValueError:
        raise InputError(
            _(
                "{option}: '{value}' is neither a duration nor a date",
                option=option,
                value=visible(value),
            ),
            _(
                "write e.g. 30d, 12h, 31.01.2027, 31.01.2027 18:00, 2027-01-31 or "
                "2027-01-31T08:00+01:00"
            ),
        ) from None
    try:
        # A naive time is local: astimezone() reads it so; then UTC, naive as the tables are.
        return when.astimezone(UTC).replace(tzinfo=None)
    except (OverflowError, ValueError, OSError):
        raise out_of_range from None


def _date_time(value: str, day_end: bool) -> datetime:
    """An ISO or German (TT.MM.JJJJ [HH:MM]) date/time; a bare date is midnight, or with
    `day_end` the next midnight. ValueError where it is neither."""
    german = GERMAN_DATE.match(value)
    if german:
        day, month, year, hour, minute = german.groups()
        when = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
        bare = hour is None
    else:
        when = datetime.fromisoformat(value)
        bare = len(value) <= len("2027-01-31")
    return when + timedelta(days=1) if bare and day_end else when
