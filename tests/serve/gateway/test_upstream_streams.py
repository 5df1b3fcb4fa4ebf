"""Streams from an upstream engine are read with aiohttp, the other calls with httpx2
(`backends/engine_streams.py`): a stream must reach the engine as the other calls do (the
credentials of its address, the operator's key), reuse a finished stream's connection, and
retire an idle one before the engine closes it. The engine is a small app on loopback that
notes who called and on which connection."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from gemeingut.serve.backends import SamplingParams, UpstreamBackend
from gemeingut.serve.backends.protocol import ChatPrompt
from tests.http_server import running_server

HELLO = ChatPrompt((("user", "Hallo"),))


def engine(calls: list[tuple[str, int, str | None]]) -> FastAPI:
    """An OpenAI-compatible engine that notes (path, client port, Authorization) per call."""
    app = FastAPI()

    def noted(request: Request) -> None:
        assert request.client is not None
        calls.append((request.url.path, request.client.port, request.headers.get("authorization")))

    @app.get("/v1/models")
    def models(request: Request) -> dict[str, object]:
        noted(request)
        return {"data": [{"id": "m"}]}

    @app.post("/tokenize")
    def tokenize(request: Request) -> dict[str, object]:
        noted(request)
        return {"count": 3}

    @app.post("/v1/chat/completions")
    def chat(request: Request) -> StreamingResponse:
        noted(request)

        def events() -> Iterator[str]:
            for piece in ("Guten", " Tag"):
                yield f"data: {json.dumps({'choices': [{'delta': {'content': piece}}]})}\n\n"
            usage = {"prompt_tokens": 3, "completion_tokens": 2}
            yield f"data: {json.dumps({'choices': [], 'usage': usage})}\n\ndata: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


async def streamed(backend: UpstreamBackend) -> str:
    stream = await backend.astream(HELLO, SamplingParams(max_tokens=2))
    pieces = []
    while (piece := await stream.next_piece()) is not None:
        pieces.append(piece)
    await stream.aclose()
    assert stream.result is not None and stream.result.completion_tokens == 2
    return "".join(pieces)


def test_a_stream_reaches_the_engine_with_the_credentials_the_other_calls_send() -> None:
    calls: list[tuple[str, int, str | None]] = []

    async def both(backend: UpstreamBackend) -> None:
        assert await streamed(backend) == "Guten Tag"
        assert await backend.prompt_tokens([HELLO]) == 3  # httpx2's call
        await backend.aclose()

    with running_server(engine(calls)) as url:
        for address, key in ((url, "ek-4711"), (url.replace("://", "://konto:Wort%40@"), None)):
            calls.clear()
            asyncio.run(both(UpstreamBackend(address, api_key=key)))
            sent = {path: authorization for path, _, authorization in calls}
            assert sent["/v1/chat/completions"] == sent["/tokenize"] == sent["/v1/models"]
            assert sent["/tokenize"] in ("Bearer ek-4711", "Basic a29udG86V29ydEA=")


def test_a_finished_streams_connection_is_reused_and_an_idle_one_retired_in_time() -> None:
    engine_keep_alive = uvicorn.Config(FastAPI()).timeout_keep_alive  # vLLM's default too
    calls: list[tuple[str, int, str | None]] = []

    async def three(backend: UpstreamBackend) -> None:
        await streamed(backend)
        await streamed(backend)
        time.sleep(engine_keep_alive * 0.6)  # idle, but not yet closed by the engine
        await streamed(backend)
        await backend.aclose()

    with running_server(engine(calls)) as url:
        asyncio.run(three(UpstreamBackend(url)))
    ports = [port for path, port, _ in calls if path == "/v1/chat/completions"]
    assert ports[0] == ports[1]  # pooled: a finished stream's connection serves the next
    assert ports[2] != ports[1]  # a fresh one, not the one the engine was about to close


def test_a_stream_goes_through_the_proxy_the_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As the other calls do (httpx2 reads the environment's proxy): the engine's name is
    known only to the proxy, here the engine itself, which answers requests in proxy form."""
    calls: list[tuple[str, int, str | None]] = []

    async def both(backend: UpstreamBackend) -> None:
        assert await streamed(backend) == "Guten Tag"
        assert await backend.prompt_tokens([HELLO]) == 3
        await backend.aclose()

    with running_server(engine(calls)) as url:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        for name in ("HTTP_PROXY", "http_proxy"):
            monkeypatch.setenv(name, url)
        asyncio.run(both(UpstreamBackend("http://engine.invalid:8000")))
    assert [path for path, _, _ in calls] == ["/v1/models", "/v1/chat/completions", "/tokenize"]
