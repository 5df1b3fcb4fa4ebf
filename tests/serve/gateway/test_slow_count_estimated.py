"""Behind `--upstream`, an engine that tells no usage and whose `/tokenize` is too slow when
the answer is to be counted (it timed out after 5 s) is charged an estimate from the bytes:
the prompt's (as its `/tokenize` body) and the answer's, never more than was reserved, and the
record says `tokens_estimated`. Before, the whole reservation was charged (prompt and all of
`max_tokens`) and the record held no counts. An engine without any `/tokenize` still keeps
its reservation (`test_engine_without_usage`).

The engine is a small OpenAI-like app on loopback: it counts one token a word at admission,
then its `/tokenize` answers only once its client has given up; it never sends usage.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from pathlib import Path

import openai
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key, utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from gemeingut.serve.gateway.store import open_store

Serve = Callable[[FastAPI], AbstractContextManager[str]]
QUESTION = [{"role": "user", "content": "Guten Morgen liebe Engine"}]  # 4 words
PIECES = ["Guten", " Tag", " allerseits"]
MAX_TOKENS = 200


def slow_counting_engine() -> FastAPI:
    engine = FastAPI()
    calls = [0]

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "fremd", "max_model_len": 300}]}

    @engine.post("/tokenize")
    async def tokenize(request: Request) -> JSONResponse:
        body = await request.json()
        calls[0] += 1
        if calls[0] > 1:  # counting the answer: slower than the gateway waits
            while not await request.is_disconnected():
                await asyncio.sleep(0.05)
        said = " ".join(m["content"] for m in body.get("messages", [])) or body["prompt"]
        return JSONResponse({"count": len(said.split())})

    @engine.post("/v1/chat/completions")
    async def chat(request: Request) -> object:
        if not (await request.json()).get("stream"):
            message = {"role": "assistant", "content": "".join(PIECES)}
            return {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}

        async def events() -> AsyncIterator[str]:
            for piece in PIECES:
                choice = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                yield f"data: {json.dumps({'choices': [choice]})}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return engine


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "answer"])
def test_an_answer_counted_too_slowly_is_charged_an_estimate_from_its_bytes(
    serve: Serve, tmp_path: Path, stream: bool
) -> None:
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    set_limits(store, "user", "anna", tokens_per_day=100_000)  # so that tokens are counted
    asked = {"model": "fremd", "messages": QUESTION, "max_tokens": MAX_TOKENS}
    with serve(slow_counting_engine()) as engine_url:
        front = create_app(UpstreamBackend(engine_url), gateway=Gateway(store))
        with serve(front) as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
            if stream:
                chunks = client.chat.completions.create(**asked, stream=True)
                text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            else:
                text = client.chat.completions.create(**asked).choices[0].message.content
    assert text == "".join(PIECES)
    [record] = export(store)
    prompt_bytes = len(json.dumps({"messages": QUESTION}, ensure_ascii=False).encode())
    answer_bytes = len(text.encode())
    assert (record["status"], record["decision"]) == (200, "tokens_estimated"), record
    assert (record["prompt_tokens"], record["completion_tokens"]) == (prompt_bytes, answer_bytes)
    used = usage(store, "user", "anna", utcnow())
    # reserved: 4 prompt tokens and all of max_tokens, which was charged before
    assert (used["tokens_today"], used["tokens_reserved"]) == (prompt_bytes + answer_bytes, 0)
    assert used["tokens_today"] < 4 + MAX_TOKENS
