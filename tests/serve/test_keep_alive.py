"""Idle kept-alive connections are closed by the side that reuses them, never under its feet.

A client reuses an idle connection until its own expiry (httpx: 5 s); a server that closes it
at that same moment answers the client's next request with a reset (httpx.ReadError, seen by
bench/serve.py). So `gemeingut serve` keeps idle connections open well past that, and the
gateway's pool retires its idle engine connections before an engine with uvicorn's default
(vLLM's: 5 s) closes them."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI, Request

from gemeingut.serve.backends.upstream import UpstreamBackend
from tests.http_server import running_server, serving_process
from tests.serve.test_header_timeout import closed_within, connect, response

HEALTH = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def test_an_idle_connection_outlives_the_clients_reuse_window(model_dir: Path) -> None:
    with serving_process(str(model_dir), "winzig") as url:
        kept = connect(url)
        kept.sendall(HEALTH)
        assert response(kept).startswith(b"HTTP/1.1 200")
        assert not closed_within(kept, httpx.Limits().keepalive_expiry + 1)
        kept.sendall(HEALTH)  # what httpx would still send on it
        assert response(kept).startswith(b"HTTP/1.1 200")


def test_the_gateway_retires_an_idle_engine_connection_before_the_engine_closes_it() -> None:
    engine_keep_alive = uvicorn.Config(FastAPI()).timeout_keep_alive  # vLLM's default too
    ports: list[int] = []
    engine = FastAPI()

    @engine.get("/v1/models")
    def models(request: Request) -> dict[str, object]:
        assert request.client is not None
        ports.append(request.client.port)
        return {"data": [{"id": "m"}]}

    async def twice(backend: UpstreamBackend) -> None:
        assert await backend.engine_problem() is None
        time.sleep(engine_keep_alive * 0.6)  # idle, but not yet closed by the engine
        assert await backend.engine_problem() is None
        await backend.aclose()

    with running_server(engine) as url:
        asyncio.run(twice(UpstreamBackend(url)))
    assert ports[-1] != ports[-2]  # a fresh connection, not the one the engine was about to close


def test_a_new_client_takes_the_place_of_the_longest_idle_connection(model_dir: Path) -> None:
    """Idle connections held 75 s must not lock new clients out: past --max-connections the one
    idle longest is closed (as nginx does); where none is idle the newcomer still gets 503
    (`test_slow_clients_cannot_hold_more_than_max_connections`)."""
    with serving_process(str(model_dir), "winzig", "--max-connections", "2") as url:
        first, second = connect(url), connect(url)
        for idle in (first, second):
            idle.sendall(HEALTH)
            assert response(idle).startswith(b"HTTP/1.1 200")
        newcomer = connect(url)
        newcomer.sendall(HEALTH)
        assert response(newcomer).startswith(b"HTTP/1.1 200")
        assert closed_within(first, 5)  # idle longest: its place went to the newcomer
        second.sendall(HEALTH)  # the other idle one was kept
        assert response(second).startswith(b"HTTP/1.1 200")
