"""A gateway's connections to its upstream engine are closed when its server stops, also when
the server skips the app's stop step (uvicorn's `lifespan="off"`, as `running_server` serves;
a user's `gemeingut serve` on a second Ctrl+C): aiohttp's pool for streams and httpx2's for
the other calls belong to the server's event loop and close with it (`backends/loop_end.py`).
Left open, they are "Unclosed client session" on the server's log, warnings, and sockets to
the engine held until the garbage collector finds them. The engine is a small app on
loopback."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import warnings
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from tests.http_server import running_server

HELLO = {"model": "m", "messages": [{"role": "user", "content": "Hallo"}], "max_tokens": 2}
USAGE = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


def engine() -> FastAPI:
    """An OpenAI-compatible engine: a chat, streamed or not, and its token counts; a stream of
    more than two tokens stays in flight until its client hangs up."""
    app = FastAPI()

    @app.get("/v1/models")
    def models() -> dict[str, object]:
        return {"data": [{"id": "m"}]}

    @app.post("/tokenize")
    def tokenize() -> dict[str, object]:
        return {"count": 3}

    @app.post("/v1/chat/completions", response_model=None)
    async def chat(request: Request) -> StreamingResponse | dict[str, object]:
        asked = await request.json()
        if not asked.get("stream"):
            message = {"role": "assistant", "content": "Guten Tag"}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            return {"choices": [choice], "usage": USAGE}

        async def events() -> AsyncIterator[str]:
            for piece in ("Guten", " Tag"):
                yield f"data: {json.dumps({'choices': [{'delta': {'content': piece}}]})}\n\n"
            if asked["max_tokens"] > 2:  # still generating, until the gateway hangs up
                await asyncio.get_running_loop().create_future()
            yield f"data: {json.dumps({'choices': [], 'usage': USAGE})}\n\ndata: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


def test_a_stopped_gateway_leaves_no_connection_to_its_engine_open() -> None:
    with running_server(engine()) as engine_url:
        app = create_app(UpstreamBackend(engine_url))
        gc.collect()  # what earlier tests left behind is not this test's
        # Warnings are process-wide: a pool left open is said when the server's loop closes
        # (uvloop names its sockets) or when the pool is collected (aiohttp names it).
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always", ResourceWarning)
            with running_server(app) as url:
                streamed = httpx.post(f"{url}/v1/chat/completions", json=HELLO | {"stream": True})
                answered = httpx.post(f"{url}/v1/chat/completions", json=HELLO)
            del app
            gc.collect()
        assert streamed.status_code == answered.status_code == 200
        assert "Guten" in streamed.text and "Guten Tag" in answered.text
        left_open = [str(w.message) for w in seen if issubclass(w.category, ResourceWarning)]
        assert left_open == []


def test_a_users_gateway_stopped_by_a_second_ctrl_c_leaves_no_connection_open() -> None:
    """uvicorn skips the app's stop step when a second Ctrl+C comes while a stream runs."""
    with running_server(engine()) as engine_url, tempfile.TemporaryFile() as log:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [sys.executable, "-m", "gemeingut.cli", "serve", "--upstream", engine_url]
        server = subprocess.Popen([*command, "--port", str(port)], stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            while not _healthy(url):
                with contextlib.suppress(subprocess.TimeoutExpired):
                    server.wait(timeout=0.2)
                    raise AssertionError("the gateway did not start")
            streaming = threading.Event()
            body = HELLO | {"stream": True, "max_tokens": 100}

            def read() -> None:
                with (
                    contextlib.suppress(httpx.HTTPError),  # the server goes away mid-stream
                    httpx.stream("POST", f"{url}/v1/chat/completions", json=body) as answer,
                ):
                    for _ in answer.iter_bytes():
                        streaming.set()

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            assert streaming.wait(60)
            server.send_signal(signal.SIGINT)
            while _healthy(url):  # the first is taken (it closes the port) before the second
                pass
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
        log.seek(0)
        said = log.read().decode()
    assert "Unclosed" not in said, said[-2000:]


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
