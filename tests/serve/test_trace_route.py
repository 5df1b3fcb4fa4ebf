"""`/v1/trace`: the served model's own training documents, indexed at start, answer where a
phrase occurs word for word, with document id and licence."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.trace_route import build_trace_index

Serve = Callable[[FastAPI], AbstractContextManager[str]]
DOCUMENTS = [
    {"id": "bgb-1", "text": "Die Rechtsfähigkeit des Menschen beginnt mit der Vollendung der "
     "Geburt.", "license": "CC0-1.0", "source": "gesetze"},
    {"id": "notiz-7", "text": "Die Bibliothek teilt offene Daten mit allen Schulen der Stadt.",
     "license": "CC-BY-4.0", "source": "notizen"},
    {"id": 8, "text": "Ein Eintrag mit einer Zahl als Kennung und einer Quelle als Objekt.",
     "license": None, "source": {"url": "https://example.org"}},
]  # fmt: skip


def test_a_phrase_is_found_in_the_training_documents_with_their_licence(
    backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    corpus = tmp_path / "train.jsonl"
    corpus.write_text("".join(json.dumps(d) + "\n" for d in DOCUMENTS), encoding="utf-8")
    index = build_trace_index((corpus,), backend)
    with serve(create_app(backend, trace=index)) as url:
        info = httpx.get(f"{url}/v1/trace").json()
        found = httpx.post(
            f"{url}/v1/trace", json={"text": "Sie teilt offene Daten mit allen Schulen, sagt sie."}
        ).json()
        nothing = httpx.post(f"{url}/v1/trace", json={"text": "Quantenchromodynamik"}).json()
        other = httpx.post(
            f"{url}/v1/trace", json={"text": "mit einer Zahl als Kennung und einer Quelle"}
        ).json()
        too_long = httpx.post(f"{url}/v1/trace", json={"text": "x" * 4001})
    assert info["documents"] == 3 and info["tokens"] > 20
    [span] = found["spans"]
    assert "offene Daten mit allen Schulen" in span["text"] and span["occurrences"] == 1
    assert span["documents"] == [{"id": "notiz-7", "license": "CC-BY-4.0", "source": "notizen"}]
    assert nothing["spans"] == [] and nothing["tokens"] > 0
    [odd] = other["spans"]
    assert odd["documents"] == [
        {"id": "8", "license": None, "source": "{'url': 'https://example.org'}"}
    ]
    assert too_long.status_code == 400


def test_a_server_without_training_data_says_so(server_url: str) -> None:
    answer = httpx.post(f"{server_url}/v1/trace", json={"text": "Geburt"})
    assert answer.status_code == 404
    assert "durchsucht keine Trainingsdaten" in answer.json()["error"]["message"]
