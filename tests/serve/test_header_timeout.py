"""A connection that does not finish its request headers in time is closed (slowloris), while
an ordinary request, and the next one on the same kept-alive connection, are answered."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlparse

from tests.http_server import serving_process


def connect(url: str) -> socket.socket:
    parsed = urlparse(url)
    sock = socket.create_connection((parsed.hostname, parsed.port), timeout=5)
    return sock


def response(sock: socket.socket) -> bytes:
    """One whole response (headers, then as many body bytes as Content-Length says)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(4096)
    return head + b"\r\n\r\n" + body


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes the connection (recv gives b'') within `seconds`."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False


def test_slow_headers_are_cut_off_and_ordinary_requests_answered(model_dir: Path) -> None:
    with serving_process(str(model_dir), "winzig", "--header-timeout", "1") as url:
        silent = connect(url)  # connects and sends nothing
        trickling = connect(url)
        trickling.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never ends
        kept = connect(url)
        kept.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert response(kept).startswith(b"HTTP/1.1 200")
        time.sleep(0.5)
        kept.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # the next request
        assert response(kept).startswith(b"HTTP/1.1 200")
        assert closed_within(silent, 3) and closed_within(trickling, 3)
        kept.sendall(b"GET /health HTTP/1.1\r\n")  # a next request that stalls
        assert closed_within(kept, 3)
