"""`serve --no-auth` may listen on a non-loopback address behind a proxy that checks who calls:
a server without identities, for many people. Its callers who come over the network were told
the collection's encoder's internal address and answer, as if each were the operator; now
they are told as a member is (reached or not, the request's id), and the server's log has the
address. A caller on the server's own machine (over loopback) is still told all. Real HTTP to
a server bound to every address, reached through this machine's network address."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from tests.serve.embedding_endpoint import TROUBLE, embedding_endpoint
from tests.serve.test_upload_remote_encoder import encoded_collection


def _network_address() -> str:
    """This machine's address on its network (a UDP socket's route; nothing is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("203.0.113.1", 9))
        address = probe.getsockname()[0]
    except OSError:
        address = "127.0.0.1"
    finally:
        probe.close()
    if address.startswith("127."):
        pytest.skip("this machine has no network address to reach a server by")
    return address


@contextmanager
def _serving_everywhere(app: FastAPI) -> Iterator[int]:
    """`app` under uvicorn on 0.0.0.0 (as `serve --no-auth --host 0.0.0.0`); its port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("0.0.0.0", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the test server did not start"
        time.sleep(0.02)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _search(host: str, port: int) -> httpx.Response:
    with httpx.Client(trust_env=False, timeout=60) as client:  # no proxy of the environment
        return client.post(
            f"http://{host}:{port}/v1/collections/vergabe/search",
            json={"query": "Frist für Angebote"},
        )


def test_callers_over_the_network_are_not_told_the_encoders_address(
    tmp_path: Path, model_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    address = _network_address()
    backend = TransformersBackend(model_dir, model_name="winzig")
    with embedding_endpoint() as encoder:
        root = encoded_collection(tmp_path, encoder.url, "fern-encoder")
        encoder.answers = "fails"
        app = create_app(backend, collections=root, hosts=None)  # no identities, any Host
        with _serving_everywhere(app) as port:
            remote = _search(address, port)
            local = _search("127.0.0.1", port)
    assert remote.status_code == 502, remote.text
    error = remote.json()["error"]
    said = error["message"]
    assert encoder.url not in said and TROUBLE not in said, said
    assert "es ist nicht erreichbar oder hat nicht wie erwartet geantwortet" in said, said
    assert error["request_id"] in said, said
    logged = [r.getMessage() for r in caplog.records if encoder.url in r.getMessage()]
    assert any(error["request_id"] in line and TROUBLE in line for line in logged), logged
    assert local.status_code == 502, local.text
    assert f"{encoder.url}/embeddings" in local.json()["error"]["message"], local.text
