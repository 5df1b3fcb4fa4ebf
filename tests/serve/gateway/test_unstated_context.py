"""Behind `--upstream`, an engine that states no context (no `max_model_len`, as llama-server
and Ollama) is neither refused nor undercharged by a context the gateway assumed. Before, 4096
tokens stood in for its context: a prompt longer than that was refused as beyond "maximum 4096"
though the engine could read it, and the quota reserved at most 4096 tokens per prompt, so
settling (capped at the reservation) charged less than the engine said it used.

The engine is a small OpenAI-like app on a loopback port whose model reads and writes up to
`ENGINE_CONTEXT` tokens (one a word) and writes as long as it may; it tells its usage. (Also
here: an engine that states its context but cannot count is reserved it once a choice.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key, utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from gemeingut.serve.gateway.store import open_store

Serve = Callable[[FastAPI], AbstractContextManager[str]]
ENGINE_CONTEXT = 8192  # what the engine's model can hold; it does not say so


def silent_engine(counts: bool) -> FastAPI:
    """An engine without `max_model_len`; with `counts`, a `/tokenize` (one token a word)."""
    engine = FastAPI()

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "fremd"}]}

    @engine.post("/tokenize")
    async def tokenize(request: Request) -> JSONResponse:
        if not counts:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        body = await request.json()
        return JSONResponse({"count": len(body["messages"][0]["content"].split())})

    @engine.post("/v1/chat/completions")
    async def chat(request: Request) -> dict:
        body = await request.json()
        read = len(body["messages"][0]["content"].split())
        written = min(body.get("max_tokens") or ENGINE_CONTEXT, ENGINE_CONTEXT - read)
        message = {"role": "assistant", "content": "ja " * written}
        usage = {"prompt_tokens": read, "completion_tokens": written}
        return {"choices": [{"index": 0, "message": message, "finish_reason": "length"}]} | {
            "usage": usage | {"total_tokens": read + written}
        }

    return engine


@pytest.fixture(params=[True, False], ids=["tokenize", "no_tokenize"])
def front(serve: Serve, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple]:
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    set_limits(store, "user", "anna", tokens_per_day=10**7)  # so that tokens are reserved
    with serve(silent_engine(request.param)) as engine_url:
        app = create_app(UpstreamBackend(engine_url), gateway=Gateway(store))
        with serve(app) as url:
            yield url, key, store


@pytest.mark.parametrize("words", [4000, 5000], ids=["within_4096", "beyond_4096"])
def test_an_unstated_context_neither_refuses_nor_undercharges(front: tuple, words: int) -> None:
    url, key, store = front
    body = {"model": "fremd", "messages": [{"role": "user", "content": "Wort " * words}]}
    headers = {"authorization": f"Bearer {key}"}
    answer = httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text  # beyond 4096: was a 400 "maximum 4096"
    told = answer.json()["usage"]
    used = usage(store, "user", "anna", utcnow())
    assert (used["tokens_today"], used["tokens_reserved"]) == (told["total_tokens"], 0)


def test_an_uncounted_prompt_reserves_the_context_for_every_choice(
    serve: Serve, tmp_path: Path
) -> None:
    """An engine that states its context but cannot count (no `/tokenize`): each of `n`
    choices may fill what the prompt leaves of the context, so the reservation is the context
    once a choice. Before, it was the context once, and two long choices were charged less
    than the engine said they used."""
    context, read = 300, 10
    engine = FastAPI()

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "fremd", "max_model_len": context}]}

    @engine.post("/v1/chat/completions")
    async def chat(request: Request) -> dict:
        n = (await request.json())["n"]
        message = {"role": "assistant", "content": "ja"}
        choices = [{"index": i, "message": message, "finish_reason": "length"} for i in range(n)]
        written = n * (context - read)
        usage = {"prompt_tokens": read, "completion_tokens": written}
        return {"choices": choices, "usage": usage | {"total_tokens": read + written}}

    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    set_limits(store, "user", "anna", tokens_per_day=10**7)
    body = {"model": "fremd", "messages": [{"role": "user", "content": "Hallo"}], "n": 2}
    headers = {"authorization": f"Bearer {key}"}
    with (
        serve(engine) as engine_url,
        serve(create_app(UpstreamBackend(engine_url), gateway=Gateway(store))) as url,
    ):
        answer = httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    used = usage(store, "user", "anna", utcnow())
    assert (
        used["tokens_today"]
        == read + 2 * (context - read)
        == answer.json()["usage"]["total_tokens"]
    )
