"""Each place a traced span is listed at comes with a few words of its document around it, so
that a learner sees where the phrase stands, not just a document's name and line: whole words
of that document (none cut in half), short, on one line; a short document whole."""

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
SAID = "Offene Daten mit allen Schulen der Stadt"
LONG = (
    "Im ersten Abschnitt des Berichts steht zunächst sehr viel über Haushalt, Personal und "
    f"Räume der Verwaltung.\n{SAID} sind ein erklärtes Ziel des Rates, das bis zum Ende des "
    "kommenden Jahres mit allen Bezirken gemeinsam erreicht werden soll."
)
SHORT = f"Kurz: {SAID}."


def test_each_place_comes_with_the_words_around_it(
    backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    corpus = tmp_path / "train.jsonl"
    rows = [{"id": "bericht", "text": LONG}, {"id": "kurz", "text": SHORT}]
    corpus.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with serve(create_app(backend, trace=build_trace_index((corpus,), backend))) as url:
        found = httpx.post(f"{url}/v1/trace", json={"text": SAID}, timeout=30).json()
    [span] = found["spans"]
    said = {place["id"]: place["context"] for place in span["documents"]}
    assert said["kurz"] == SHORT  # all of a short document
    around = said["bericht"]
    words = LONG.split()
    assert SAID in around and "\n" not in around
    assert len(around.split()) < len(words) // 2  # a few words, not the document
    # whole words of the document, in its order: a run of its words, none cut
    first = words.index(around.split()[0])
    assert around.split() == words[first : first + len(around.split())]
