"""`rag ingest/query --embed DIR` with an encoder folder: chunks embedded as
sentence-transformers embeds documents (the model's "passage: " prompt, its CLS pooling), a
question as it embeds queries ("query: "), the prompts recorded with the collection; a
model2vec folder as model2vec embeds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from gemeingut.apps.rag.collection import open_collection
from gemeingut.apps.rag.retrieve import search
from gemeingut.apps.rag.storage import COLLECTION_FILE, VECTORS, searched_text
from tests.encoders.tiny_encoders import (
    make_model2vec,
    make_sentence_bert,
    model2vec_vectors,
    sentence_bert_vectors,
)
from tests.test_cli import invoke

DOCUMENTS = {
    "antrag.txt": "Der Bürger stellt den Antrag heute beim Amt.",
    "frist.txt": "Die Frist für den Bescheid wird vom Amt geprüft.",
    "gesetz.txt": "Das Gesetz ist nicht auf den Antrag anzuwenden.",
}
QUESTION = "Wer prüft die Frist?"


def _ingested(tmp_path: Path, model: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, body in DOCUMENTS.items():
        (docs / name).write_text(body, encoding="utf-8")
    root = tmp_path / "c"
    result = invoke("rag", "ingest", "amt", docs, "--root", root, "--embed", model)
    assert result.exit_code == 0, result.output
    return root


def test_an_encoder_embeds_chunks_and_questions_with_their_prompts(tmp_path: Path) -> None:
    model = make_sentence_bert(tmp_path / "e5-winzig", pooling="cls_token")
    root = _ingested(tmp_path, model)
    collection = open_collection(root, "amt")
    assert collection.meta["embedder"]["prompts"] == {"query": "query: ", "document": "passage: "}
    chunks = [chunk.text for chunk in collection.chunks]
    expected = sentence_bert_vectors(model, chunks, prompt="passage: ")
    np.testing.assert_allclose(np.asarray(collection.vectors), expected, atol=1e-5)
    asked = sentence_bert_vectors(model, [QUESTION], prompt="query: ")[0]
    hits = search(collection, QUESTION, k=3, mode="dense")
    np.testing.assert_allclose(
        [hit.score for hit in hits], [float(expected[hit.row] @ asked) for hit in hits], atol=1e-5
    )
    result = invoke("rag", "query", "amt", QUESTION, "--root", root, "--mode", "dense", "--json")
    assert result.exit_code == 0, result.output
    assert [row["text"] for row in json.loads(result.stdout)] == [chunks[h.row] for h in hits]


def test_a_model2vec_folder_embeds_as_model2vec(tmp_path: Path) -> None:
    model = make_model2vec(tmp_path / "potion-winzig")
    collection = open_collection(_ingested(tmp_path, model), "amt")
    assert "prompts" not in collection.meta["embedder"]
    chunks = [chunk.text for chunk in collection.chunks]
    expected = model2vec_vectors(model, chunks)
    np.testing.assert_allclose(np.asarray(collection.vectors), expected, atol=1e-5)


def as_an_older_gemeingut_left_it(root: Path, model: Path) -> None:
    """The collection `amt` as gemeingut before encoder folders left it: read by reader format
    5, no prompts nor pooling recorded, and its vectors the mean of the model's hidden states
    over each chunk's own tokens (no CLS, no SEP, no prompt), as that version made them."""
    record = root / "amt" / COLLECTION_FILE
    meta = json.loads(record.read_text(encoding="utf-8"))
    meta["embedder"] = {k: meta["embedder"][k] for k in ("source", "model")}
    for entry in meta["documents"].values():
        entry["reader"] = 5
    record.write_text(json.dumps(meta), encoding="utf-8")
    tokenizer = AutoTokenizer.from_pretrained(model)
    encoder = AutoModel.from_pretrained(model).eval()
    rows = []
    for chunk in open_collection(root, "amt").chunks:
        ids = tokenizer(searched_text(chunk), add_special_tokens=False, return_tensors="pt")
        with torch.no_grad():
            mean = encoder(**ids).last_hidden_state[0].mean(dim=0)
        rows.append(torch.nn.functional.normalize(mean, dim=0).numpy())
    np.save(root / "amt" / meta["index"] / VECTORS, np.asarray(rows, dtype=np.float32))


def test_an_ingest_embeds_again_what_an_older_version_embedded_otherwise(tmp_path: Path) -> None:
    """Its chunks come out the same, but their vectors are not the model's: kept, a question
    embedded with the query prompt and CLS pooling would be compared with mean-pooled chunks
    without their prompt. The ingest that reads them again embeds them again, and records how."""
    model = make_sentence_bert(tmp_path / "e5-winzig", pooling="cls_token")
    root = _ingested(tmp_path, model)
    as_an_older_gemeingut_left_it(root, model)
    again = invoke("rag", "ingest", "amt", tmp_path / "docs", "--root", root)
    assert again.exit_code == 0, again.output
    collection = open_collection(root, "amt")
    assert collection.meta["embedder"]["prompts"] == {"query": "query: ", "document": "passage: "}
    chunks = [chunk.text for chunk in collection.chunks]
    expected = sentence_bert_vectors(model, chunks, prompt="passage: ")
    np.testing.assert_allclose(np.asarray(collection.vectors), expected, atol=1e-5)
