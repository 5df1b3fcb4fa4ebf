"""An engine behind the gateway cannot pass its refusal off as one of the gateway's own
decisions: before, a 4xx with the code `queue_full` (or `database_unavailable`) was recorded as
the gateway's refusal before any work, and the request's per-minute slot went back, so that an
engine refusing everything let a client past its requests-per-minute limit. Now such a code
is no decision (the status names it), and the slot stays taken (real engine and gateway on
loopback, a real database)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from gemeingut.serve.backends.upstream import GATEWAY_DECISIONS
from gemeingut.serve.gateway.gate import REFUSED_UNWORKED, Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.quotas import set_limits
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME
from tests.serve.gateway.test_upstream_refusal_code import exported, refusing

Serve = Callable[[FastAPI], AbstractContextManager[str]]


def test_the_engine_codes_refused_cover_the_gateways_unworked_refusals() -> None:
    assert REFUSED_UNWORKED <= GATEWAY_DECISIONS


@pytest.mark.parametrize("code", sorted(REFUSED_UNWORKED))
def test_an_engines_code_of_the_gateway_keeps_the_slot_taken(
    serve: Serve, tmp_path: Path, code: str, fresh_minute: None
) -> None:
    store_url = str(tmp_path / "gateway.db")
    store = open_store(store_url)
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    set_limits(store, "user", "anna", requests_per_minute=1)
    chat = {
        "model": MODEL_NAME,
        "max_tokens": 4,
        "messages": [{"role": "user", "content": "Hallo"}],
    }
    headers = {"authorization": f"Bearer {key}"}
    with (
        serve(refusing(code)) as engine_url,
        serve(create_app(UpstreamBackend(engine_url), gateway=Gateway(store))) as url,
    ):
        first = httpx.post(url + "/v1/chat/completions", json=chat, headers=headers, timeout=60)
        second = httpx.post(url + "/v1/chat/completions", json=chat, headers=headers, timeout=60)
    error = first.json()["error"]
    assert (first.status_code, error["code"]) == (400, "invalid_request"), error
    record = exported(store_url, error["request_id"])
    assert (record["status"], record["decision"]) == (400, "invalid_request")
    assert second.status_code == 429, second.text  # the first request's slot stayed taken
