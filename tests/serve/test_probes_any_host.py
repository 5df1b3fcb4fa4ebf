"""A load balancer's health checks reach `/health` and `/ready` whatever Host they name: the
machine's address, or none at all (HAProxy's default `option httpchk` sends HTTP/1.0 without
a Host header). Every other path still needs an allowed Host, and a request without one is
told that it has none."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx

from tests.http_server import start_serving
from tests.serve.conftest import MODEL_NAME


def raw_get(url: str, request: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send `request` as it is; the status line, headers and body of the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _blank, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _c, v in (h.partition(":") for h in lines)}
    return status, headers, body


def test_probes_answer_any_host_and_a_missing_host_is_said(model_dir: Path) -> None:
    server, url = start_serving(str(model_dir), MODEL_NAME, "--allowed-host", "ki.amt.example")
    try:
        for path in ("/health", "/ready"):
            by_address = httpx.get(url + path, headers={"host": "10.20.30.40:8000"})
            assert by_address.status_code == 200, by_address.text
            status, _headers, _body = raw_get(url, f"GET {path} HTTP/1.0\r\n\r\n".encode())
            assert status.split()[1] == "200", status
        status, headers, body = raw_get(url, b"GET /v1/models HTTP/1.0\r\n\r\n")
        error = json.loads(body)["error"]
        assert status.split()[1] == "400" and error["code"] == "missing_host"
        assert error["message"].startswith("die Anfrage hat keinen Host-Header")
        assert error["request_id"] == headers["x-request-id"]
        foreign = httpx.get(url + "/v1/models", headers={"host": "10.20.30.40:8000"})
        assert foreign.status_code == 400 and foreign.json()["error"]["code"] == "host_not_allowed"
        allowed = httpx.get(url + "/v1/models", headers={"host": "ki.amt.example"})
        assert allowed.is_success, allowed.text
    finally:
        server.terminate()
        server.wait(timeout=20)
