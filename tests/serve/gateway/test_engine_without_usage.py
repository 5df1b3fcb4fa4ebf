"""Behind `--upstream`, an engine that tells no usage (it ignores `stream_options.include_usage`,
or leaves `usage` out of its answer) is charged what it read and wrote, counted by its own
`/tokenize`; an engine that cannot count either keeps the whole reservation. Before, such an
answer was settled to 0 + 0 tokens: the reservation was given back, and a quota in tokens
never ran out. A client that hangs up during a request of several prompts is charged the
answers the engine gave before, not only the prompts.

The engine is a small OpenAI-like app on its own loopback port, standing in for a foreign
engine: it counts one token a word, streams without a usage event, answers without `usage`,
and answers the prompt "langsam" only once its client is gone.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy import Engine

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key, utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from gemeingut.serve.gateway.store import open_store
from tests.serve.gateway.test_upstream_hangup import ended

Serve = Callable[[FastAPI], AbstractContextManager[str]]
CONTEXT = 300  # the engine's max_model_len: what is reserved where nothing can count
QUESTION = [{"role": "user", "content": "Guten Morgen liebe Engine"}]  # 4 words
PIECES = ["Guten", " Tag", " allerseits"]  # 3 words
ANSWERED = {"prompt_tokens": 1, "completion_tokens": 5, "total_tokens": 6}  # of "schnell"


def foreign_engine(counts: bool) -> FastAPI:
    """An OpenAI-like engine that never sends usage; with `counts`, a `/tokenize` (one token a
    word), otherwise none (a 404, as Ollama's)."""
    engine = FastAPI()

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "fremd", "max_model_len": CONTEXT}]}

    @engine.post("/tokenize")
    async def tokenize(request: Request) -> JSONResponse:
        if not counts:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        body = await request.json()
        said = " ".join(m["content"] for m in body.get("messages", [])) or body["prompt"]
        return JSONResponse({"count": len(said.split())})

    @engine.post("/v1/chat/completions")
    async def chat(request: Request) -> object:
        body = await request.json()
        assert body["stream_options"]["include_usage"] if body.get("stream") else True
        if not body.get("stream"):
            message = {"role": "assistant", "content": "".join(PIECES)}
            return {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}

        def chunk(delta: dict, finish: str | None = None) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            return f"data: {json.dumps({'choices': [choice]})}\n\n"

        async def events() -> AsyncIterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            for piece in PIECES:
                yield chunk({"content": piece})
            yield chunk({}, "stop")
            yield "data: [DONE]\n\n"  # and no usage chunk, though it was asked for

        return StreamingResponse(events(), media_type="text/event-stream")

    @engine.post("/v1/completions")
    async def completions(request: Request) -> dict:
        body = await request.json()
        if body["prompt"] == "langsam":
            while not await request.is_disconnected():
                await asyncio.sleep(0.05)
            return {}
        choice = {"index": 0, "text": "fünf Wörter sind das hier", "finish_reason": "length"}
        return {"choices": [choice], "usage": ANSWERED}

    return engine


@dataclass
class Front:
    url: str
    key: str
    store: Engine

    def used(self) -> tuple[int, int]:
        """Tokens today: (used, still reserved)."""
        counted = usage(self.store, "user", "anna", utcnow())
        return counted["tokens_today"], counted["tokens_reserved"]

    def record(self) -> dict:
        [record] = [r for r in export(self.store) if r["duration_ms"] is not None]
        return record


def gateway(serve: Serve, tmp_path: Path, counts: bool) -> Iterator[Front]:
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    set_limits(store, "user", "anna", tokens_per_day=100_000)  # so that tokens are counted
    with serve(foreign_engine(counts)) as engine_url:
        app = create_app(UpstreamBackend(engine_url), gateway=Gateway(store))
        with serve(app) as url:
            yield Front(url, key, store)


@pytest.fixture
def counting(serve: Serve, tmp_path: Path) -> Iterator[Front]:
    yield from gateway(serve, tmp_path, counts=True)


@pytest.fixture
def uncounting(serve: Serve, tmp_path: Path) -> Iterator[Front]:
    yield from gateway(serve, tmp_path, counts=False)


def ask(at: Front, stream: bool) -> tuple[str, dict | None]:
    """The answer's text and the usage the client was told."""
    client = openai.OpenAI(base_url=f"{at.url}/v1", api_key=at.key, max_retries=0)
    if not stream:
        answer = client.chat.completions.create(model="fremd", messages=QUESTION, max_tokens=5)
        told = answer.usage.model_dump() if answer.usage else None
        return answer.choices[0].message.content or "", told
    text, told = "", None
    for chunk in client.chat.completions.create(
        model="fremd",
        messages=QUESTION,
        max_tokens=5,
        stream=True,
        stream_options={"include_usage": True},
    ):
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if chunk.usage is not None:
            told = chunk.usage.model_dump()
    return text, told


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "answer"])
def test_an_answer_without_usage_is_charged_what_the_engine_counts(
    counting: Front, stream: bool
) -> None:
    text, told = ask(counting, stream)
    assert text == "Guten Tag allerseits"
    record = counting.record()
    assert (record["status"], record["prompt_tokens"], record["completion_tokens"]) == (200, 4, 3)
    assert counting.used() == (4 + 3, 0)  # was (0, 0): the reservation of 4 + 5 given back
    assert told is not None
    assert (told["prompt_tokens"], told["completion_tokens"]) == (4, 3)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "answer"])
def test_an_answer_nobody_can_count_keeps_its_reservation(uncounting: Front, stream: bool) -> None:
    text, _told = ask(uncounting, stream)
    assert text == "Guten Tag allerseits"
    record = uncounting.record()
    assert (record["status"], record["prompt_tokens"], record["completion_tokens"]) == (
        200,
        None,
        None,
    )
    # no /tokenize: the whole context was reserved, and with nothing to settle to, it counts
    assert uncounting.used() == (CONTEXT, 0)


def test_a_client_that_hangs_up_is_charged_the_prompts_answered_before(
    counting: Front,
) -> None:
    """Two prompts, the first answered at once, the second never: the client gives up. Before,
    the answered prompt's 5 completion tokens were lost with the cancelled call."""
    body = {"model": "fremd", "prompt": ["schnell", "langsam"], "max_tokens": 5}
    headers = {"authorization": f"Bearer {counting.key}"}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{counting.url}/v1/completions", json=body, headers=headers, timeout=1)
    record = ended(counting.store, "/v1/completions", within=5)
    assert record is not None and record["status"] == 499, record
    # "schnell" as the engine told, and "langsam", which it read (1 word)
    assert (record["prompt_tokens"], record["completion_tokens"]) == (1 + 1, 5)
    assert counting.used() == (1 + 1 + 5, 0)
