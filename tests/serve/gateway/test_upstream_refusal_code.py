"""An engine's refusal keeps its code behind the gateway: a prompt longer than the context of a
gemeingut engine (standing in for vLLM, on loopback) is answered 400 `context_length_exceeded`
by the gateway too, and its audit record says so. Before, the gateway dropped the engine's
code: the client got none, and the record said `invalid_request`. A code that is not a short
identifier (vLLM, llama-server: the status as a number) is no decision: the status names it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend, UpstreamBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME
from tests.serve.gateway.test_context_length_recorded import LONG, exported

Serve = Callable[[FastAPI], AbstractContextManager[str]]


def refusing(code: object) -> FastAPI:
    """An engine that refuses every chat with 400 and `code` (vLLM sends the status)."""
    engine = FastAPI()

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": MODEL_NAME, "max_model_len": 256}]}

    @engine.post("/v1/chat/completions")
    def chat() -> JSONResponse:
        error = {"message": "too long", "type": "BadRequestError", "param": None, "code": code}
        return JSONResponse({"error": error}, 400)

    return engine


def asked(url: str, key: str, stream: bool) -> tuple[int, dict]:
    answer = httpx.post(
        url + "/v1/chat/completions",
        json={
            "model": MODEL_NAME,
            "max_tokens": 4,
            "messages": [{"role": "user", "content": LONG}],
            "stream": stream,
        },
        headers={"authorization": f"Bearer {key}"},
        timeout=60,
    )
    return answer.status_code, answer.json()["error"]


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_a_gemeingut_engines_context_refusal_keeps_its_code(
    backend: TransformersBackend, serve: Serve, tmp_path: Path, stream: bool
) -> None:
    store_url = str(tmp_path / "gateway.db")
    store = open_store(store_url)
    add_user(store, "anna")
    _, key = create_key(store, "anna")  # no limit in tokens: the engine, not the gateway, counts
    with (
        serve(create_app(backend)) as engine_url,
        serve(create_app(UpstreamBackend(engine_url), gateway=Gateway(store))) as url,
    ):
        status, error = asked(url, key, stream)
    assert (status, error["code"]) == (400, "context_length_exceeded"), error
    record = exported(store_url, error["request_id"])
    assert (record["status"], record["decision"]) == (400, "context_length_exceeded")


@pytest.mark.parametrize("code", [400, "x" * 100, "Nicht erlaubt!"])
def test_a_code_that_is_no_identifier_is_no_decision(
    serve: Serve, tmp_path: Path, code: object
) -> None:
    store_url = str(tmp_path / "gateway.db")
    store = open_store(store_url)
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    with (
        serve(refusing(code)) as engine_url,
        serve(create_app(UpstreamBackend(engine_url), gateway=Gateway(store))) as url,
    ):
        status, error = asked(url, key, stream=False)
    assert (status, error["code"]) == (400, "invalid_request"), error
    record = exported(store_url, error["request_id"])
    assert (record["status"], record["decision"]) == (400, "invalid_request")
