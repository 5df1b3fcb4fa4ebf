"""A traced place's line in its document is counted from the newlines the index noted once as
the server started, not by decoding every token before the place: a phrase deep in a long
handbook costs what one near its start does, and the line is the one decoding would give."""

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
# newlines as they stand in real documents: alone, doubled, after a carriage return, beside an
# umlaut, an emoji and a character a byte-level tokenizer splits, at a document's start and end
ODD = ["\nAnfang", "Größe\n\nÄrger", "Zeile\r\nweiter", "Ende 🙂\n", "ß\nẞ\n\n\n", "  \n \n"]


class Decoding(TransformersBackend):
    """The served model's own tokenizer, which notes how many tokens each decoding was given."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.decoded: list[int] = []

    def detokenize(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        self.decoded.append(len(ids))
        return super().detokenize(ids, skip_special_tokens)


def test_every_place_s_line_is_the_one_decoding_the_tokens_before_it_gives(
    backend: TransformersBackend, tmp_path: Path
) -> None:
    corpus = tmp_path / "train.jsonl"
    texts = [*ODD, "".join(ODD), "keine Zeile", ""]
    corpus.write_text("".join(json.dumps({"id": n, "text": t}) + "\n" for n, t in enumerate(texts)))
    traced = build_trace_index((corpus,), backend)
    starts = [int(s) for s in traced.index.starts]
    for number, start in enumerate(starts):
        length = len(backend.tokenize(texts[number], add_special_tokens=False))
        for offset in range(length + 1):
            before = traced.index.tokens[start : start + offset].tolist()
            place = {"number": number, "token_offset": offset}
            assert traced.line(place) == backend.detokenize(before).count("\n") + 1, (
                number,
                offset,
            )


def test_a_place_deep_in_a_long_document_is_not_found_by_decoding_all_before_it(
    model_dir: Path, serve: Serve, tmp_path: Path
) -> None:
    decoding = Decoding(model_dir, model_name="winzig")
    lines = [f"Zeile {n} des Handbuchs über Vergabe" for n in range(2000)]
    handbook = "\n".join([*lines, f"{SAID}.", "Schluss"])
    corpus = tmp_path / "train.jsonl"
    corpus.write_text(json.dumps({"id": "handbuch", "text": handbook}) + "\n", encoding="utf-8")
    with serve(create_app(decoding, trace=build_trace_index((corpus,), decoding))) as url:
        decoding.decoded.clear()
        found = httpx.post(f"{url}/v1/trace", json={"text": SAID}).json()
    [span] = found["spans"]
    assert [(d["id"], d["line"]) for d in span["documents"]] == [("handbuch", 2001)]
    prefix = len(decoding.tokenize("\n".join(lines), add_special_tokens=False))
    # the span's own words are decoded (to show them), never the 2000 lines before it
    assert max(decoding.decoded) < prefix / 100, (max(decoding.decoded), prefix)
