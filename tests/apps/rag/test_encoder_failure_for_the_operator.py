"""Whose the encoder's words are: a member of a group is told that the collection's embedding
model cannot be reached, whom to ask and the request's id (tests/serve/test_*_engine_failure_
status.py), never its internal address; the operator reads the address and the encoder's answer
in the server's log. On a server without identities (one person's, on loopback) the person
asking is the operator, and is told all: the address and what to check. Real HTTP both ways."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from tests.http_server import running_server
from tests.serve.embedding_endpoint import TROUBLE, embedding_endpoint
from tests.serve.test_collections import staff
from tests.serve.test_upload_remote_encoder import encoded_collection


def _search(url: str, key: str | None = None) -> httpx.Response:
    signed = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(
        f"{url}/v1/collections/vergabe/search",
        json={"query": "Frist für Angebote"},
        headers=signed | {"Accept-Language": "en"},
        timeout=60,
    )


def test_the_operator_reads_the_encoders_address_a_member_does_not(
    tmp_path: Path, model_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    backend = TransformersBackend(model_dir, model_name="winzig")
    engine, keys = staff(tmp_path)
    with embedding_endpoint() as encoder:
        root = encoded_collection(tmp_path, encoder.url, "fern-encoder")
        encoder.answers = "fails"
        with running_server(create_app(backend, collections=root)) as url:
            own = _search(url)  # no identities: the operator's own server
        assert own.status_code == 502, own.text
        said = own.json()["error"]["message"]
        assert f"{encoder.url}/embeddings answered 500: {TROUBLE}" in said, said
        assert "(hint: check the model id" in said, said  # what to check, for whoever can
        governed = create_app(backend, gateway=Gateway(engine), collections=root)
        with running_server(governed) as url:
            member = _search(url, keys["eva"])
        assert member.status_code == 502, member.text
        error = member.json()["error"]
        assert encoder.url not in error["message"] and TROUBLE not in error["message"]
        assert error["message"] == (
            "the collection could not be searched: its embedding model failed (it cannot be "
            f"reached or did not answer as it should; request {error['request_id']}); the "
            "server's operator can see to it"
        )
        logged = [r.getMessage() for r in caplog.records if encoder.url in r.getMessage()]
        assert any(error["request_id"] in line and TROUBLE in line for line in logged), logged
