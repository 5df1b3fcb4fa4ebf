"""OpenAI's rate-limit headers, so that a client can slow down before it meets a 429.

`x-ratelimit-{limit,remaining,reset}-requests` tell the tightest `requests_per_minute` that
applies to the request, `…-tokens` the tightest `tokens_per_day`, as the request's reservation
left them (`quotas.Headroom`); the reset is the time until that window begins anew, written as
OpenAI writes it (`6m0s`, `12ms`). A kind of limit that does not apply sends none of its three.
A 429 sends the same set as a 200 (`quotas.QuotaExceeded.requests_left`, `tokens_left`), what
each limit leaves without the refused request.
"""

from __future__ import annotations

import math
from datetime import datetime

from gemeingut.serve.gateway.quotas import Headroom

Headers = list[tuple[bytes, bytes]]


def rate_limit_headers(
    requests: Headroom | None, tokens: Headroom | None, now: datetime
) -> Headers:
    """The headers of both kinds of limit, their resets counted from `now` (naive UTC)."""
    headers: Headers = []
    for kind, left in (("requests", requests), ("tokens", tokens)):
        if left is not None:
            reset = duration((left.resets_at - now).total_seconds())
            headers += [
                (f"x-ratelimit-limit-{kind}".encode(), str(left.limit).encode()),
                (f"x-ratelimit-remaining-{kind}".encode(), str(max(0, left.remaining)).encode()),
                (f"x-ratelimit-reset-{kind}".encode(), reset.encode()),
            ]
    return headers


def duration(seconds: float) -> str:
    """A duration as OpenAI writes it (Go's notation): `12ms`, `1s`, `6m0s`, `13h42m7.5s`; up
    to the next millisecond, so that a client that waits this long finds the window new."""
    millis = max(0, math.ceil(round(seconds * 1000, 6)))  # round: 0.012 s is 12 ms, not 13
    if millis < 1000:
        return f"{millis}ms" if millis else "0s"
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, part = divmod(rest, 1000)
    secs = f"{whole}.{part:03d}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{hours}h{minutes}m{secs}"
    return f"{minutes}m{secs}" if minutes else secs
