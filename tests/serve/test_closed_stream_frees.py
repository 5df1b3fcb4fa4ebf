"""A stream (or a request) whose client leaves while its row still waits for room in a batch
gives back its place in the queue (and the worker thread that waited for it) at once, not when
the batch in front of it ends: real HTTP, the tiny model, one row per batch, and the batch in
front held mid-step for as long as the test looks."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.model_queue import ModelQueue
from tests.serve.test_serve_disconnect import HELLO

Serve = Callable[[FastAPI], AbstractContextManager[str]]
LONG = {"model": "held", "messages": HELLO, "max_tokens": 200, "stream": True}


class Hold:
    """The model's forward passes wait while `running` is clear, and `entered` says that one
    waits: a batch is held mid-answer, and the test knows it without racing it."""

    def __init__(self, backend: TransformersBackend) -> None:
        forward = backend.model.forward
        self.running, self.entered = threading.Event(), threading.Event()
        self.running.set()

        def waiting_forward(*args: Any, **kwargs: Any) -> Any:
            if not self.running.is_set():
                self.entered.set()
            self.running.wait()
            return forward(*args, **kwargs)

        backend.model.forward = waiting_forward


@contextmanager
def batch_in_front(
    serve: Serve, app: FastAPI, hold: Hold, headers: dict[str, str] | None = None
) -> Iterator[tuple[str, httpx.Client]]:
    """A stream that has the only row, its batch held in its first step inside the block: held
    before it starts, since a batch let run until the test looked could end first when the
    machine is loaded (200 tokens, or the end of text, before the test cleared the hold)."""
    with (
        serve(app) as url,
        httpx.Client(base_url=url, timeout=60, headers=headers or {}) as http,
    ):
        hold.running.clear()
        with stream_with_turn(http):
            try:
                assert hold.entered.wait(120), "the stream in front never got its row"
                yield url, http
            finally:
                hold.running.set()


@contextmanager
def stream_with_turn(http: httpx.Client) -> Iterator[None]:
    """A stream whose role chunk has come (it holds a turn), its client there until the block
    ends. Its line iterator is kept here: one of httpx let go closes its response at once, so
    `next(r.iter_lines())` was a client that left after its first line, and a row the server
    had not started yet was withdrawn (on a loaded machine the stream in front got none)."""
    with http.stream("POST", "/v1/chat/completions", json=LONG) as response:
        lines = response.iter_lines()
        next(lines)
        yield


def until_free(queue: ModelQueue, what: str) -> None:
    """Wait for the queue to hold only the held batch's stream (the guard only ends a hang)."""
    deadline = time.monotonic() + 120  # ends a hang; a loaded machine is slow
    while queue.admitted > 1:
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_a_closed_stream_waiting_for_a_row_frees_its_place_while_the_batch_runs(
    model_dir: Path, serve: Serve, tmp_path: Path
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    backend = TransformersBackend(model_dir, model_name="held", max_batch_rows=1)
    hold = Hold(backend)
    app = create_app(backend, gateway=Gateway(engine), max_running=2, max_waiting=2)
    queue = app.state.queue
    with batch_in_front(serve, app, hold, {"authorization": f"Bearer {key}"}) as (_, http):
        with stream_with_turn(http):  # a turn, not a row
            assert queue.admitted == 2
        until_free(queue, "the closed stream waits for the batch in front to end")
    closed = [r for r in export(engine) if r["status"] == 499]
    assert len(closed) == 2, list(export(engine))  # both left: each recorded, none unfinished
    assert all(r["prompt_tokens"] for r in closed)  # cut short, with the tokens it was charged


def test_a_request_whose_client_left_while_its_row_waits_frees_its_place(
    model_dir: Path, serve: Serve
) -> None:
    backend = TransformersBackend(model_dir, model_name="held", max_batch_rows=1)
    hold = Hold(backend)
    app = create_app(backend, max_running=2, max_waiting=2)
    queue = app.state.queue
    asked = json.dumps({"model": "held", "messages": HELLO, "max_tokens": 5}).encode()
    with batch_in_front(serve, app, hold) as (url, _):
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as leaving:
            head = (
                f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(asked)}\r\n\r\n"
            )
            leaving.sendall(head.encode() + asked)
            deadline = time.monotonic() + 120  # ends a hang; a loaded machine is slow
            while queue.admitted < 2:  # it holds a turn; its row waits for the batch
                assert time.monotonic() < deadline, "the request never reached the queue"
                time.sleep(0.02)
        until_free(queue, "the request whose client left waits for the batch in front to end")
