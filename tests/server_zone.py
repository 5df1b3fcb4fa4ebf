"""The server process's time zone for a test, as an operator's `TZ`, and what a sentence says
the next daily reset is in it: the server and the tests share one process, so setting `TZ`
here is setting it for the server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

BERLIN = "Europe/Berlin"
GERMAN_ZONES = {"CET": "MEZ", "CEST": "MESZ"}  # as German writes them; others stay


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The server runs in Berlin (where 00:00 UTC is 01:00 or 02:00)."""
    monkeypatch.setenv("TZ", BERLIN)
    time.tzset()
    yield BERLIN
    monkeypatch.undo()
    time.tzset()


def zone_said(zone: str | None, language: str) -> str:
    assert zone is not None and zone != "UTC"
    return GERMAN_ZONES.get(zone, zone) if language == "de" else zone


def reset_said(language: str, zone: str = BERLIN) -> str:
    """The next 00:00 UTC as `zone`'s clock, as a sentence in `language` says it: "01:00 (CET)",
    „01:00 Uhr (MEZ)“."""
    now = datetime.now(UTC)
    local = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0).astimezone(ZoneInfo(zone))
    clock = f"{local:%H:%M} Uhr" if language == "de" else f"{local:%H:%M}"
    return f"{clock} ({zone_said(local.tzname(), language)})"
