"""A `max_tokens` beyond the model's whole context is a 400 naming `max_tokens` and both
numbers, as vLLM answers it (before, 200 with the answer clamped), both for the model in this
process and, behind `--upstream`, for an engine's model whose context the engine says (here a
second `gemeingut serve` standing in for vLLM). Nothing is reserved for it: the refusal comes
before the quota. An engine that does not say its context gets the request as it was sent.
A `max_tokens` within the context that does not fit beside the prompt stays clamped
(`test_serve_openai_client`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import openai
import pytest
from fastapi import FastAPI, Request
from openai import OpenAI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend, UpstreamBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key, utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
CONTEXT = 256  # the fixture model's max_position_embeddings
HELLO = [{"role": "user", "content": "Die Katze sieht den Garten."}]
FAR = 10**6


@pytest.fixture(scope="module")
def gateway_url(backend: TransformersBackend, serve: Serve) -> Iterator[str]:
    """A gateway in front of a second server that serves the fixture model."""
    with serve(create_app(backend)) as engine_url:
        gateway = create_app(UpstreamBackend(engine_url))
        with serve(gateway) as url:
            yield url


@pytest.mark.parametrize("front", ["in_process", "upstream"])
@pytest.mark.parametrize("route", ["chat", "completion"])
def test_max_tokens_beyond_the_context_is_a_bad_request_naming_both_numbers(
    server_url: str, gateway_url: str, front: str, route: str
) -> None:
    url = server_url if front == "in_process" else gateway_url
    client = OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=60)
    with client, pytest.raises(openai.BadRequestError) as raised:
        if route == "chat":
            client.chat.completions.create(model=MODEL_NAME, messages=HELLO, max_tokens=FAR)
        else:
            client.completions.create(model=MODEL_NAME, prompt="Die Katze", max_tokens=FAR)
    error = raised.value.body
    assert isinstance(error, dict)
    assert error["param"] == "max_tokens", error
    said = error["message"].replace(".", "").replace(",", "")  # 1.000.000 or 1,000,000
    assert str(CONTEXT) in said and str(FAR) in said, error


def test_the_refusal_is_said_in_german_by_default_naming_the_field_sent(server_url: str) -> None:
    """A client that sent `max_completion_tokens` (OpenAI's newer name) is told that one."""
    body = {"model": MODEL_NAME, "messages": HELLO, "max_completion_tokens": CONTEXT + 1}
    error = httpx.post(f"{server_url}/v1/chat/completions", json=body).json()["error"]
    assert error["param"] == "max_completion_tokens", error
    said = error["message"]
    assert "Kontext" in said and "257" in said and "max_completion_tokens verlangt" in said, error


def test_max_tokens_as_large_as_the_context_is_clamped_not_refused(server_url: str) -> None:
    body = {"model": MODEL_NAME, "messages": HELLO, "max_tokens": CONTEXT, "temperature": 0}
    answer = httpx.post(f"{server_url}/v1/chat/completions", json=body, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json()["usage"]["total_tokens"] <= CONTEXT


def test_the_refusal_reserves_nothing_and_is_recorded(
    backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    set_limits(store, "user", "anna", tokens_per_day=100_000)
    body = {"model": MODEL_NAME, "messages": HELLO, "max_tokens": FAR}
    with serve(create_app(backend, gateway=Gateway(store))) as url:
        headers = {"authorization": f"Bearer {key}"}
        refused = httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers)
    assert refused.status_code == 400, refused.text
    [record] = export(store)
    assert record["status"] == 400, record
    used = usage(store, "user", "anna", utcnow())
    assert (used["tokens_today"], used["tokens_reserved"]) == (0, 0)


def test_an_engine_that_does_not_say_its_context_gets_the_request_as_sent(serve: Serve) -> None:
    """No `max_model_len` on its card and no `/tokenize`: the engine judges `max_tokens`."""
    asked: list[int] = []
    engine = FastAPI()

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "fremd"}]}

    @engine.post("/v1/chat/completions")
    async def chat(request: Request) -> dict:
        asked.append((await request.json())["max_tokens"])
        message = {"role": "assistant", "content": "Hallo"}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return {"choices": [choice], "usage": {"prompt_tokens": 3, "completion_tokens": 1}}

    with serve(engine) as engine_url, serve(create_app(UpstreamBackend(engine_url))) as url:
        body = {"model": "fremd", "messages": HELLO, "max_tokens": FAR}
        answer = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60)
    assert answer.status_code == 200, answer.text
    assert asked == [FAR]
