"""A 429 of tokens per day says when the tokens come back in the server's local time, with its
zone named ("01:00 (CET)", „01:00 Uhr (MEZ)“), not "00:00 UTC" that people must convert;
`Retry-After` stays seconds. The zone is the server process's `TZ`. Real HTTP through a
governed gateway in front of an engine on loopback, real SQLite."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, authenticate, create_key, utcnow
from gemeingut.serve.gateway.quotas import reserve, set_limits
from gemeingut.serve.gateway.store import open_store
from tests.server_zone import reset_said

Serve = Callable[[FastAPI], AbstractContextManager[str]]


def engine_app() -> FastAPI:
    """An engine that says its context length and nothing else is asked of it here (the
    gateway counts an unknown prompt as the whole context: 512 tokens)."""
    engine = FastAPI()

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "fremd", "max_model_len": 512}]}

    return engine


@pytest.fixture
def server_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The server process's time zone set to `request.param`, as an operator's `TZ`."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("server_zone", ["Europe/Berlin", "America/New_York"], indirect=True)
def test_a_429_says_the_reset_in_the_servers_local_time(
    server_zone: str, tmp_path: Path, serve: Serve
) -> None:
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    set_limits(store, "user", "anna", tokens_per_day=1000)
    reserve(store, authenticate(store, key), 600, stream=False, now=utcnow())  # still running
    with serve(engine_app()) as engine_url:
        backend = UpstreamBackend(engine_url, model_name="amt-modell")
        with serve(create_app(backend, gateway=Gateway(store))) as url:
            answers = {
                language: httpx.post(
                    f"{url}/v1/chat/completions",
                    json={"model": "amt-modell", "messages": [{"role": "user", "content": "Hi"}]},
                    headers={"Authorization": f"Bearer {key}", "Accept-Language": language},
                    timeout=30,
                )
                for language in ("de", "en")
            }
    now = datetime.now(UTC)
    reset = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    wait = {"de": "warten Sie bis", "en": "wait until"}
    for language, answer in answers.items():
        assert answer.status_code == 429, answer.text
        said = answer.json()["error"]["message"]
        assert "UTC" not in said
        assert said.endswith(f"{wait[language]} {reset_said(language, server_zone)}"), said
        seconds = int(answer.headers["Retry-After"])  # seconds, as before
        assert 0 < seconds <= (reset - now).total_seconds() + 1
