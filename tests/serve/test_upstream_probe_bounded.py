"""An engine that hangs on `GET /api/version` (an Ollama stuck at the gateway's start) delays
the start no longer than the probe's bound: the backend comes up while the engine still holds
the request, lists the model with both capabilities, and the log says why, with the bound.
The engine is a real HTTP server on loopback whose `/api/version` waits until the test ends."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gemeingut.serve.app import capabilities
from gemeingut.serve.backends.upstream import PROBE_TIMEOUT_SECONDS, UpstreamBackend

MODEL = "haengt"


@contextmanager
def hanging_engine() -> Iterator[tuple[str, list[str], threading.Event]]:
    """Its URL, the paths it was asked, and the event that lets `/api/version` answer."""
    asked: list[str] = []
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            if self.path == "/api/version":
                release.wait()
                self._send({"version": "0.12.3"})
            elif self.path == "/v1/models":
                self._send({"object": "list", "data": [{"id": MODEL, "object": "model"}]})

        def do_POST(self) -> None:
            asked.append(self.path)
            self._send({"capabilities": ["embedding"]})

        def _send(self, payload: object) -> None:
            raw = json.dumps(payload).encode()
            try:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except OSError:  # the backend gave up on it
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", asked, release
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def test_a_hanging_version_probe_is_bounded_and_said(caplog: pytest.LogCaptureFixture) -> None:
    with hanging_engine() as (url, asked, release), caplog.at_level(logging.WARNING):
        backend = UpstreamBackend(url)
        assert not release.is_set()  # the engine still holds the probe: the start went on
        assert capabilities(backend) == ["completion", "chat", "embedding"]
        assert "/api/show" not in asked
        backend.client.close()
    said = [r.getMessage() for r in caplog.records if "/api/version" in r.getMessage()]
    assert len(said) == 1
    assert f"{PROBE_TIMEOUT_SECONDS:g} s" in said[0] and "127.0.0.1" in said[0]
