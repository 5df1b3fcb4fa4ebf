"""Behind `--upstream`, an engine that validates `stream_options` strictly and refuses vLLM's
`continuous_usage_stats` (pydantic's "extra inputs are not permitted", as providers answered
in lemma-work/lemma-platform#583, and vLLM's Rust front end before it learned the field)
still streams: the gateway asks once more without the field, and from then on never sends it.
Before, every stream through such an engine was a 400.

The engine is a small OpenAI-like app on a loopback port whose `stream_options` forbids
fields it does not know; it tells its usage at the end.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager

import httpx
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend

Serve = Callable[[FastAPI], AbstractContextManager[str]]
PIECES = ["Guten", " Tag"]


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    include_usage: bool = False


class Chat(BaseModel):
    model: str
    messages: list[dict]
    stream: bool = False
    stream_options: StreamOptions | None = None


def strict_engine(asked: list[dict]) -> FastAPI:
    engine = FastAPI()

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "streng", "max_model_len": 100}]}

    @engine.post("/v1/chat/completions")
    async def chat(body: Chat) -> StreamingResponse:
        asked.append(body.model_dump(exclude_none=True).get("stream_options", {}))

        def chunk(delta: dict, finish: str | None = None) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            return f"data: {json.dumps({'choices': [choice]})}\n\n"

        async def events() -> AsyncIterator[str]:
            for piece in PIECES:
                yield chunk({"content": piece})
            yield chunk({}, "stop")
            usage = {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4}
            yield f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return engine


def streamed(url: str) -> str:
    body = {"model": "streng", "messages": [{"role": "user", "content": "Hallo"}], "stream": True}
    text = ""
    with httpx.stream("POST", f"{url}/v1/chat/completions", json=body, timeout=30) as response:
        assert response.status_code == 200, response.read().decode()
        for line in response.iter_lines():
            if line.startswith("data: {"):
                for choice in json.loads(line[6:])["choices"]:
                    text += choice["delta"].get("content") or ""
    return text


def test_an_engine_that_refuses_continuous_usage_stats_still_streams(serve: Serve) -> None:
    asked: list[dict] = []
    with (
        serve(strict_engine(asked)) as engine_url,
        serve(create_app(UpstreamBackend(engine_url))) as url,
    ):
        assert streamed(url) == "Guten Tag"  # was a 400 naming the field
        assert streamed(url) == "Guten Tag"
    # the field was refused once (422, not counted here), then left out
    assert asked == [{"include_usage": True}, {"include_usage": True}]
