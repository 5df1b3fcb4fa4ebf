"""A key revoked after the gateway authenticated a request but before it reserved the quota: the
request is refused with 401 `auth:revoked_api_key`, over real HTTP on loopback.

The gateway reserves before a request queues for the model, so the model queue cannot hold it
in that gap. What does hold it there is counting the prompt's tokens: for an upstream engine that
is a round trip to the engine's `/tokenize`. The engine here is a small HTTP server of the test's
own (as vLLM would answer `/v1/models` and `/tokenize`) whose `/tokenize` waits until the test
has revoked the key: the order of the two is fixed, not a matter of timing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key, revoke_key, utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from gemeingut.serve.gateway.store import open_store, reading
from gemeingut.serve.gateway.tables import audit_log

Serve = Callable[[FastAPI], AbstractContextManager[str]]


def held_engine(counting: threading.Event, go_on: threading.Event) -> FastAPI:
    """An engine whose `/tokenize` says it is counting, then waits for `go_on`."""
    engine = FastAPI()

    @engine.get("/v1/models")
    def models() -> dict[str, object]:
        return {"object": "list", "data": [{"id": "stub", "max_model_len": 256}]}

    @engine.post("/tokenize")
    async def tokenize() -> dict[str, int]:
        counting.set()
        assert await asyncio.to_thread(go_on.wait, 30), "the test never let the count go on"
        return {"count": 3, "max_model_len": 256}

    return engine


@pytest.mark.parametrize("limited", ["key", "user"])
def test_a_key_revoked_while_its_request_is_counted_is_refused(
    limited: str, serve: Serve, tmp_path: Path
) -> None:
    """The limit makes the gateway count the prompt (a round trip to the engine), and the key
    is revoked while it counts: refused whether the limit is the key's own or its user's."""
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    key_id, key = create_key(store, "anna")
    subject = key_id if limited == "key" else "anna"
    set_limits(store, limited, subject, tokens_per_day=10_000)
    counting, go_on = threading.Event(), threading.Event()
    answers: list[httpx.Response] = []
    with serve(held_engine(counting, go_on)) as engine_url:
        backend = UpstreamBackend(engine_url, model_name="amt-modell")
        with serve(create_app(backend, gateway=Gateway(store))) as url:

            def ask() -> None:
                body = {"model": "amt-modell", "messages": [{"role": "user", "content": "Hallo"}]}
                headers = {"Authorization": f"Bearer {key}"}
                answers.append(
                    httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=60)
                )

            client = threading.Thread(target=ask)
            client.start()
            try:
                assert counting.wait(30), "the gateway never asked the engine to count"
                revoke_key(store, key_id)  # authenticated already, not yet reserved
            finally:
                go_on.set()
                client.join(60)
    [answer] = answers
    assert answer.status_code == 401, answer.text
    assert answer.headers["www-authenticate"] == "Bearer"
    error = answer.json()["error"]
    assert error["code"] == "revoked_api_key"
    assert error["type"] == "authentication_error"
    assert "widerrufen" in error["message"]
    with reading(store) as conn:
        records = conn.execute(select(audit_log.c.status, audit_log.c.decision)).all()
    assert [tuple(r) for r in records] == [(401, "auth:revoked_api_key")]
    assert usage(store, limited, subject, utcnow())["tokens_reserved"] == 0  # none reserved
