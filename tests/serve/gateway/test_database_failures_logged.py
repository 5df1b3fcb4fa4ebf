"""While the database is down, every request fails there, some twice: the server log gets one
traceback, then at most one a minute with the count of those not logged one by one (a
six-second outage had written 74,211 lines)."""

from __future__ import annotations

import logging
import re
import time

import httpx
import pytest

import gemeingut.serve.database_failures as failures
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import create_key
from tests.serve.conftest import MODEL_NAME

REQUESTS = 6


def _failing_requests(url: str, key: str) -> None:
    for _ in range(REQUESTS):
        response = httpx.post(
            f"{url}/v1/chat/completions",
            headers={"authorization": f"Bearer {key}"},
            json={"model": MODEL_NAME, "messages": [{"role": "user", "content": "Hallo"}]},
        )
        assert response.status_code == 503, response.text


def test_a_failing_database_logs_one_traceback_then_a_count(
    governed: tuple[str, Gateway], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(failures, "_shown_at", None)
    monkeypatch.setattr(failures, "_not_shown", 0)
    url, gateway = governed
    _, key = create_key(gateway.engine, "anna")
    with gateway.engine.begin() as conn:  # every key lookup and record fails
        conn.exec_driver_sql("DROP TABLE audit_log")
    caplog.set_level(logging.ERROR, logger="gemeingut.serve")
    _failing_requests(url, key)
    assert len([r for r in caplog.records if r.exc_info]) == 1, caplog.text
    assert len(caplog.records) <= 3, caplog.text  # not one per request
    monkeypatch.setattr(failures, "_shown_at", time.monotonic() - failures.QUIET_S - 1)
    caplog.clear()
    _failing_requests(url, key)
    counted = re.search(
        r"(\d+) weitere Datenbankfehler seit dem zuletzt protokollierten", caplog.text
    )
    assert counted and int(counted[1]) >= REQUESTS - 1, caplog.text
    assert len([r for r in caplog.records if r.exc_info]) == 1, caplog.text
