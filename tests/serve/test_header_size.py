"""A request's headers are bounded (`connections.MAX_HEADER_BYTES`): httptools, which parses
HTTP, keeps no bound of its own, so a client could send megabytes of one header that the server
held until it ended. Past the bound the request is answered 431 in OpenAI's error shape and
the connection closed; the server keeps answering others."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.serve.connections import MAX_HEADER_BYTES
from tests.http_server import serving_process
from tests.serve.test_header_timeout import closed_within, connect, response


def test_headers_over_the_bound_are_a_431_and_the_server_keeps_serving(model_dir: Path) -> None:
    with serving_process(str(model_dir), "winzig") as url:
        within = connect(url)
        header = b"X-Vorgang: " + b"a" * (MAX_HEADER_BYTES // 2) + b"\r\n"
        within.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + b"\r\n")
        assert response(within).startswith(b"HTTP/1.1 200")
        over = connect(url)
        header = b"X-Vorgang: " + b"a" * (2 * 1024 * 1024) + b"\r\n"
        over.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + b"\r\n")
        head, body = response(over).split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 431")
        error = json.loads(body)["error"]
        assert error["code"] == "headers_too_large" and "64 KiB" in error["message"]
        assert "Kopfzeilen" in error["message"]  # German by default
        assert closed_within(over, 3)
        within.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert response(within).startswith(b"HTTP/1.1 200")
