"""Times as an operator types and reads them: durations and local dates in, local time with
its offset out; the tables keep naive UTC, JSON and CSV say UTC with `Z`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.serve.limits import MOST_DAYS

DURATION = re.compile(r"^(\d+)\s*([dhm])$")


def iso_utc(value: datetime) -> str:
    """A stored (naive UTC) time as ISO 8601 that says it is UTC."""
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def local_time(value: datetime) -> str:
    """A stored (naive UTC) time in this machine's local time, with its offset: what a person
    at the machine typed (`--expires 2027-01-31T18:00`) reads back as they typed it."""
    local = value.replace(tzinfo=UTC).astimezone()
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"


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
