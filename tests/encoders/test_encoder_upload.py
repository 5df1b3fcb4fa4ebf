"""A document uploaded to a collection whose vectors the served encoder made is embedded by
that model after its passage prompt, as `rag ingest --embed` embedded the others: its vectors
are sentence-transformers' `encode_document` ones."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np

from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import ingest, open_collection
from gemeingut.apps.rag.storage import COLLECTION_FILE, searched_text
from gemeingut.model.encoder_layout import encoder_layout
from gemeingut.serve.app import create_app
from gemeingut.serve.backends.encoder import EncoderBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from tests.encoders.tiny_encoders import make_sentence_bert, sentence_bert_vectors
from tests.http_server import running_server
from tests.serve.test_collection_uploads import upload
from tests.serve.test_collections import staff

ROUTE = "/v1/collections/amt/documents"


def ingested(tmp_path: Path, groups: list[str] | None = None) -> tuple[Path, Path]:
    """The tiny sentence-transformers BERT and a collection `amt` of one document embedded
    by it (`rag ingest --embed`): the model's folder and the collections' root."""
    model = make_sentence_bert(tmp_path / "bert")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "antrag.txt").write_text("Der Bürger stellt den Antrag heute.", encoding="utf-8")
    root = tmp_path / "c"
    ingest(root, "amt", [docs], groups=groups, embed=EmbedderSpec(str(model)))
    return model, root


def test_an_upload_is_embedded_with_the_passage_prompt(tmp_path: Path) -> None:
    model, root = ingested(tmp_path)
    backend = EncoderBackend(encoder_layout(model), "bert")
    with running_server(create_app(backend, collections=root, upload_max_bytes=2**20)) as url:
        answer = upload(url, None, "amt", "Das Amt prüft die Frist.".encode(), "frist.txt")
    assert answer.status_code == 200, answer.text
    collection = open_collection(root, "amt")
    texts = [chunk.text for chunk in collection.chunks]
    assert len(texts) == 2
    expected = sentence_bert_vectors(model, texts, prompt="passage: ")
    np.testing.assert_allclose(np.asarray(collection.vectors), expected, atol=1e-5)


def test_an_upload_counts_the_tokens_embeddings_counts_for_the_same_texts(tmp_path: Path) -> None:
    """The tokens an upload spends of the uploader's quota are those `/v1/embeddings` counts
    for its chunks (the model's CLS and SEP included), not fewer."""
    model, root = ingested(tmp_path, groups=["einkauf"])
    engine, keys = staff(tmp_path)
    backend = EncoderBackend(encoder_layout(model), "bert")
    app = create_app(backend, gateway=Gateway(engine), collections=root, upload_max_bytes=2**20)
    eva = {"Authorization": f"Bearer {keys['eva']}"}
    with running_server(app) as url:
        taken = upload(url, keys["eva"], "amt", "Das Amt prüft die Frist.".encode(), "frist.txt")
        assert taken.status_code == 200, taken.text
        chunks = [c for c in open_collection(root, "amt").chunks if c.document == "frist.txt"]
        texts = ["passage: " + searched_text(chunk) for chunk in chunks]
        asked = httpx.post(
            f"{url}/v1/embeddings", json={"model": "bert", "input": texts}, headers=eva, timeout=60
        )
        assert asked.status_code == 200, asked.text
    spent = [
        r["prompt_tokens"] for r in export(engine) if r["route"] == ROUTE and r["prompt_tokens"]
    ]
    assert spent == [asked.json()["usage"]["prompt_tokens"]]


def test_a_server_whose_model_folder_is_elsewhere_keeps_the_record_and_vectors(
    tmp_path: Path,
) -> None:
    """The record's path names no folder where the server runs (it was ingested elsewhere):
    the served model embeds the upload after the recorded prompt, and the record's prompts and
    the other vectors stay as they are, not taken for vectors made otherwise."""
    model, root = ingested(tmp_path)
    record = root / "amt" / COLLECTION_FILE
    meta = json.loads(record.read_text(encoding="utf-8"))
    meta["embedder"]["source"] = str(tmp_path / "anderswo" / "bert")
    record.write_text(json.dumps(meta), encoding="utf-8")
    kept = np.asarray(open_collection(root, "amt").vectors).copy()
    backend = EncoderBackend(encoder_layout(model), "bert")
    with running_server(create_app(backend, collections=root, upload_max_bytes=2**20)) as url:
        taken = upload(url, None, "amt", "Das Amt prüft die Frist.".encode(), "frist.txt")
    assert taken.status_code == 200, taken.text
    collection = open_collection(root, "amt")
    assert collection.meta["embedder"]["prompts"] == {"query": "query: ", "document": "passage: "}
    np.testing.assert_array_equal(np.asarray(collection.vectors)[: len(kept)], kept)
