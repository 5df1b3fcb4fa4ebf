"""`/v1/embeddings` with the official client: unit vectors that do not depend on their batch,
base64 as OpenAI encodes it, refusals that name the field, and the gateway's accounting."""

from __future__ import annotations

import base64
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
TEXTS = ["Der Bäcker backt Brot.", "Die Katze", "Das Bürgeramt prüft den Antrag heute."]


def test_embeddings_are_unit_vectors_independent_of_their_batch(server_url: str) -> None:
    client = openai.OpenAI(base_url=f"{server_url}/v1", api_key="unused", max_retries=0)
    together = client.embeddings.create(model=MODEL_NAME, input=TEXTS)
    assert [d.index for d in together.data] == [0, 1, 2]
    vectors = np.array([d.embedding for d in together.data])
    assert vectors.shape == (3, 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    alone = client.embeddings.create(model=MODEL_NAME, input=TEXTS[1]).data[0].embedding
    np.testing.assert_allclose(alone, vectors[1], atol=1e-5)  # padding changes nothing
    assert together.usage.prompt_tokens == together.usage.total_tokens > 3
    raw = httpx.post(
        f"{server_url}/v1/embeddings",
        json={"model": MODEL_NAME, "input": TEXTS[0], "encoding_format": "base64"},
    ).json()
    decoded = np.frombuffer(base64.b64decode(raw["data"][0]["embedding"]), dtype="<f4")
    np.testing.assert_allclose(decoded, vectors[0], atol=1e-6)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": []}, "input"),
        ({"input": "Hallo", "dimensions": 8}, "dimensions"),
        ({"input": [[]]}, "input"),
        ({"input": "x" * 100_000}, "input"),
    ],
    ids=["empty", "dimensions", "empty-ids", "too-long"],
)
def test_embedding_requests_that_cannot_be_served_name_the_field(
    server_url: str, body: dict, param: str
) -> None:
    response = httpx.post(f"{server_url}/v1/embeddings", json={"model": MODEL_NAME, **body})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param


def test_embeddings_need_a_key_and_are_counted_and_recorded(
    backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    with serve(create_app(backend, gateway=Gateway(engine))) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
        answer = client.embeddings.create(model=MODEL_NAME, input=TEXTS)
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=f"{url}/v1", api_key="none", max_retries=0).embeddings.create(
                model=MODEL_NAME, input="Hallo"
            )
    first, refused = export(engine)
    assert (first["route"], first["status"]) == ("/v1/embeddings", 200)
    assert first["prompt_tokens"] == answer.usage.prompt_tokens and first["completion_tokens"] == 0
    assert refused["status"] == 401
