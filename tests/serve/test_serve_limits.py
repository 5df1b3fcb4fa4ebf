"""Bounds at the boundary: unencodable text, tiny temperatures, oversized bodies and prompts,
foreign Host headers, a full queue and a port in use are each a clear 4xx/503 (or CLI error),
and the server keeps serving afterwards."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from gemeingut.cli import app as cli_app
from gemeingut.errors import InputError
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import (
    GenerationResult,
    Prompt,
    SamplingParams,
    TextStream,
    TransformersBackend,
)
from gemeingut.serve.guards import allowed_hosts
from gemeingut.serve.runner import bind_socket
from tests.http_server import start_serving
from tests.serve.test_serve_http_errors import MODEL_NAME, assert_openai_error

Serve = Callable[[FastAPI], AbstractContextManager[str]]
HELLO = [{"role": "user", "content": "Hallo"}]


def post_raw(url: str, payload: dict, path: str = "/v1/chat/completions") -> httpx.Response:
    """JSON with `\\ud800` escapes kept as they are (httpx's json= would refuse to encode them)."""
    body = json.dumps(payload).encode()
    headers = {"content-type": "application/json"}
    return httpx.post(url + path, content=body, headers=headers, timeout=60)


@pytest.mark.parametrize(
    ("path", "payload", "param"),
    [
        (
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": "a\ud800"}]},
            "messages.0.content",
        ),
        ("/v1/chat/completions", {"messages": HELLO, "stop": ["\udfff"]}, "stop"),
        ("/v1/completions", {"prompt": "Hallo \ud800 Welt"}, "prompt"),
        ("/tokenize", {"prompt": "\ud800"}, "prompt"),
    ],
    ids=["message", "stop", "prompt", "tokenize"],
)
def test_a_lone_surrogate_is_a_400_naming_the_field(
    server_url: str, path: str, payload: dict, param: str
) -> None:
    response = post_raw(server_url, {"model": MODEL_NAME, **payload}, path)
    error = assert_openai_error(response, 400)
    assert str(error["param"]).startswith(param)
    assert "Surrogatpaar" in str(error["message"])


def test_a_temperature_too_small_to_divide_by_is_greedy(server_url: str) -> None:
    def answer(temperature: float) -> str:
        body = {"model": MODEL_NAME, "messages": HELLO, "max_tokens": 8, "temperature": temperature}
        response = post_raw(server_url, body)
        assert response.status_code == 200, response.text
        return response.json()["choices"][0]["message"]["content"]

    assert answer(1e-40) == answer(0.0)
    top_p_zero = {"model": MODEL_NAME, "messages": HELLO, "max_tokens": 4, "top_p": 0}
    assert post_raw(server_url, top_p_zero).status_code == 200


def test_a_body_over_the_limit_is_a_413_and_the_server_keeps_serving(
    backend: TransformersBackend, serve: Serve
) -> None:
    with serve(create_app(backend, max_body_bytes=2_000)) as url:
        big = {"model": MODEL_NAME, "messages": [{"role": "user", "content": "x" * 5_000}]}
        assert_openai_error(post_raw(url, big), 413)

        def chunks():  # no Content-Length: the limit must hold while reading
            yield json.dumps(big).encode()

        chunked = httpx.post(
            url + "/v1/chat/completions",
            content=chunks(),
            headers={"content-type": "application/json"},
            timeout=60,
        )
        error = assert_openai_error(chunked, 413)
        assert error["code"] == "request_too_large"
        small = {"model": MODEL_NAME, "messages": HELLO, "max_tokens": 2}
        assert post_raw(url, small).status_code == 200


@pytest.mark.parametrize(
    ("body", "headers", "status", "said"),
    [
        (b'{"model": "m"}', {"content-type": "application/x-www-form-urlencoded"}, 415, "JSON"),
        (b'{"model": "m"}', {"content-type": "text/plain"}, 415, "text/plain"),
        (
            gzip.compress(b'{"model": "m"}'),
            {"content-type": "application/json", "content-encoding": "gzip"},
            415,
            "komprimiert",
        ),
        (b'{"model": "\xe4"}', {"content-type": "application/json"}, 400, "UTF-8"),
        (b"[" * 100_000, {"content-type": "application/json"}, 400, "verschachtelt"),
    ],
    ids=["form", "text", "gzip", "latin-1", "nested"],
)
def test_a_body_that_is_not_plain_json_is_named_as_such(
    server_url: str, body: bytes, headers: dict[str, str], status: int, said: str
) -> None:
    response = httpx.post(server_url + "/v1/chat/completions", content=body, headers=headers)
    error = assert_openai_error(response, status)
    assert said in str(error["message"]), error


def test_a_prompt_that_cannot_fit_is_refused_by_its_length_alone(
    server_url: str, backend: TransformersBackend
) -> None:
    text = "x" * (backend.context_length * backend.longest_token_chars + 1)
    response = post_raw(server_url, {"model": MODEL_NAME, "prompt": text}, "/v1/completions")
    error = assert_openai_error(response, 400)
    assert error["code"] == "context_length_exceeded" and "Zeichen" in str(error["message"])


def test_a_foreign_host_header_is_refused_unless_allowed(
    backend: TransformersBackend, serve: Serve
) -> None:
    hosts = allowed_hosts("127.0.0.1", ["ki.amt.example"])
    with serve(create_app(backend, hosts=hosts)) as url:
        rebound = httpx.get(url + "/v1/models", headers={"host": "evil.example:8000"})
        error = assert_openai_error(rebound, 400)
        assert error["code"] == "host_not_allowed" and "--allowed-host" in str(error["message"])
        for host in ("localhost:8000", "127.0.0.1", "[::1]:8000", "KI.amt.example"):
            assert httpx.get(url + "/v1/models", headers={"host": host}).status_code == 200


class HeldBackend:
    """The real backend, except that a stream holds the model after its first piece until
    `release` is set."""

    def __init__(self, inner: TransformersBackend) -> None:
        self.inner = inner
        self.release = threading.Event()

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def stream(self, prompt: Prompt, params: SamplingParams) -> TextStream:
        inner = self.inner.stream(prompt, params)

        def pieces() -> Generator[str, None, GenerationResult]:
            yield "Moment"
            self.release.wait(30)
            yield from inner
            assert inner.result is not None
            return inner.result

        return TextStream(pieces())


def test_a_full_queue_is_a_503_with_retry_after_until_the_model_is_free(
    backend: TransformersBackend, serve: Serve
) -> None:
    held = HeldBackend(backend)
    app = create_app(held, max_waiting=0, max_running=1)
    with serve(app) as url, httpx.Client(timeout=60) as client:
        stream_body = {"model": MODEL_NAME, "messages": HELLO, "stream": True, "max_tokens": 50}
        with client.stream("POST", url + "/v1/chat/completions", json=stream_body) as running:
            assert running.status_code == 200
            lines = running.iter_lines()
            next(lines)  # the stream holds the model now
            for path, body in (
                ("/v1/chat/completions", {"model": MODEL_NAME, "messages": HELLO}),
                ("/v1/chat/completions", stream_body),
            ):
                busy = client.post(url + path, json=body)
                error = assert_openai_error(busy, 503)
                assert error["code"] == "queue_full"
                assert int(busy.headers["retry-after"]) >= 1
            assert client.get(url + "/ready").status_code == 503
            assert client.get(url + "/health").status_code == 200
            held.release.set()
            assert "[DONE]" in "".join(lines)  # the stream finishes
        ready = client.get(url + "/ready")
        assert ready.status_code == 200 and ready.json()["waiting"] == 0
        small = {"model": MODEL_NAME, "messages": HELLO, "max_tokens": 2}
        assert client.post(url + "/v1/chat/completions", json=small).status_code == 200


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_a_port_out_of_range_is_a_usage_error(model_dir: Path, port: str) -> None:
    result = CliRunner().invoke(cli_app, ["serve", str(model_dir), "--port", port])
    assert result.exit_code == 2 and "'--port'" in result.output, result.output  # before loading


def test_a_port_in_use_is_said_before_the_model_loads(model_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(InputError, match=f"Port {port} auf 127.0.0.1 ist schon belegt"):
            bind_socket("127.0.0.1", port)
        result = CliRunner().invoke(cli_app, ["serve", str(model_dir), "--port", str(port)])
    assert result.exit_code != 0
    assert "schon belegt" in result.output and "Traceback" not in result.output


def test_connections_to_the_servers_socket_send_without_nagles_delay() -> None:
    """asyncio sets TCP_NODELAY only on connections of a socket whose protocol is TCP; without
    it each kept-alive answer (headers, then body) waited ~40 ms for a delayed ACK."""
    import asyncio

    async def accept_one() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        listening = bind_socket("127.0.0.1", 0)
        server = await asyncio.get_running_loop().create_server(Probe, sock=listening)
        _reader, writer = await asyncio.open_connection(*listening.getsockname())
        try:
            return await asyncio.wait_for(accepted, 10)
        finally:
            writer.close()
            server.close()

    assert asyncio.run(accept_one()) != 0


class WaitingBackend:
    """The real backend, except that a non-streamed request waits until it is cancelled."""

    def __init__(self, inner: TransformersBackend) -> None:
        self.inner = inner
        self.cancelled = threading.Event()

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def generate_batch(
        self,
        prompts: list[Prompt],
        params: SamplingParams,
        n: int = 1,
        cancel: threading.Event | None = None,
    ) -> list[GenerationResult]:
        assert cancel is not None
        if cancel.wait(20):
            self.cancelled.set()
        return self.inner.generate_batch(prompts, params, n, cancel)


def test_a_client_that_hangs_up_cancels_its_non_streamed_work(
    backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    from gemeingut.serve.gateway.audit_log import export
    from gemeingut.serve.gateway.gate import Gateway
    from gemeingut.serve.gateway.identity import add_user, create_key, utcnow
    from gemeingut.serve.gateway.quotas import set_limits, usage
    from gemeingut.serve.gateway.store import open_store

    engine = open_store(str(tmp_path / "gateway.db"))
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    set_limits(engine, "user", "anna", tokens_per_day=10_000)
    waiting = WaitingBackend(backend)
    with serve(create_app(waiting, gateway=Gateway(engine))) as url:
        body = {"model": MODEL_NAME, "messages": HELLO, "max_tokens": 5}
        with pytest.raises(httpx.TimeoutException):
            httpx.post(
                url + "/v1/chat/completions",
                json=body,
                headers={"authorization": f"Bearer {key}"},
                timeout=0.5,
            )
        assert waiting.cancelled.wait(10), "the server did not notice that the client left"
        time.sleep(0.5)  # the record is written as the cancelled work returns
    [record] = export(engine)
    assert record["status"] == 499 and record["prompt_tokens"] > 0
    # What the cancelled request did use (its prompt) counts; nothing stays reserved.
    today = usage(engine, "user", "anna", utcnow())
    assert today["tokens_today"] == record["prompt_tokens"] and today["tokens_reserved"] == 0


def test_slow_clients_cannot_hold_more_than_max_connections(model_dir: Path) -> None:
    server, url = start_serving(str(model_dir), MODEL_NAME, "--max-connections", "4")
    host, port = url.removeprefix("http://").split(":")
    slow = []
    try:
        for _ in range(6):  # each sends half a request line and then nothing
            sock = socket.create_connection((host, int(port)))
            sock.sendall(b"GET /health HT")
            slow.append(sock)
        time.sleep(0.5)
        refused = httpx.get(f"{url}/health", timeout=10)
        error = assert_openai_error(refused, 503)  # bounded: it does not take every socket
        assert refused.headers["retry-after"] == "1" and "Verbindungen" in str(error["message"])
    finally:
        for sock in slow:
            sock.close()
        time.sleep(0.5)
        assert httpx.get(f"{url}/health", timeout=10).status_code == 200
        server.terminate()
        server.wait(timeout=20)
