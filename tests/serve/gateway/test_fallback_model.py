"""A request refused before or right after its model was resolved (an unknown model, a field out
of range) is recorded with the model it asked for, cut as every record's model is, so that the
record stays under 0.5 KB whatever a client sends."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import httpx
import pytest
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import (
    MODEL_BYTES,
    RECORD_BYTES,
    export,
    exported_bytes,
    stored_model,
)
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]


@pytest.fixture
def governed(
    store_url: str, backend: TransformersBackend, serve: Serve
) -> Iterator[tuple[str, Gateway, str]]:
    engine = open_store(store_url)
    add_user(engine, "anna")
    gateway = Gateway(engine)
    with serve(create_app(backend, gateway=gateway)) as url:
        yield url, gateway, create_key(engine, "anna")[1]


def ask(url: str, key: str, **body: object) -> httpx.Response:
    body = {"messages": [{"role": "user", "content": "Hallo"}], "max_tokens": 2} | body
    return httpx.post(
        f"{url}/v1/chat/completions",
        headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
        content=json.dumps(body),  # as sent: a lone surrogate stays an escape
        timeout=60,
    )


def test_refusals_before_admission_record_the_model_asked_for(
    governed: tuple[str, Gateway, str],
) -> None:
    url, gateway, key = governed
    long_id = "organisation/" + "modell-ä" * 600 + "\ud800"
    assert ask(url, key, model="gibt-es-nicht").status_code == 404
    assert ask(url, key, model=MODEL_NAME, temperature=7).status_code == 400
    assert ask(url, key, model=long_id).status_code == 400  # too long, not text: a 400
    assert ask(url, key, model=5).status_code == 400  # no model id to record
    records = list(export(gateway.engine))
    assert [(r["status"], r["decision"]) for r in records] == [
        (404, "not_found"),
        (400, "invalid_request"),
        (400, "invalid_request"),
        (400, "invalid_request"),
    ]
    assert [r["model"] for r in records[:2]] == ["gibt-es-nicht", MODEL_NAME]
    kept = records[2]["model"]
    assert kept == stored_model(long_id.encode("utf-8", "replace").decode(), len(kept.encode()))
    assert kept.startswith("organisation/modell-ä") and len(kept.encode()) <= MODEL_BYTES
    assert records[3]["model"] is None
    for record in records:
        assert record["user_pseudonym"] and exported_bytes(record) < RECORD_BYTES
