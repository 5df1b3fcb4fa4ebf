"""Reranking with a cross-encoder folder: the first stage's best chunks ordered again by the
model's own scores; from the CLI for queries and for evaluation; a wrong folder is a clear
error. The cross-encoder is a tiny random sequence-classification model made here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import LlamaConfig, LlamaForSequenceClassification

from gemeingut.apps.rag.index import ingest, open_collection
from gemeingut.apps.rag.rerank import RERANK_DEPTH, Reranker
from gemeingut.apps.rag.retrieve import search
from gemeingut.model.tokenizer import train_tokenizer
from tests.apps.rag.documents import write_markdown, write_pdf
from tests.model.tiny_models import german_sentences
from tests.test_cli import invoke

QUESTION = "Wie lange ist die Frist für den Eingang der Angebote?"


@pytest.fixture(scope="module")
def cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reranker") / "mini-reranker"
    tokenizer = train_tokenizer(german_sentences(400), folder, vocab_size=400)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
        num_labels=1, pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    torch.manual_seed(0)
    LlamaForSequenceClassification(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rerank-docs")
    docs = folder / "docs"
    docs.mkdir()
    write_pdf(docs / "leitfaden.pdf")
    write_markdown(docs / "hinweise.md")
    ingest(folder / "collections", "vergabe", [docs])
    return folder / "collections"


def test_the_first_stages_best_are_ordered_by_the_cross_encoder(
    root: Path, cross_encoder: Path
) -> None:
    collection = open_collection(root, "vergabe")
    reranker = Reranker(cross_encoder)
    first = search(collection, QUESTION, k=RERANK_DEPTH, mode="bm25")
    again = search(collection, QUESTION, k=3, mode="bm25", reranker=reranker)
    assert len(again) == min(3, len(first))
    assert {h.row for h in again} <= {h.row for h in first}
    alone = [reranker.scores(QUESTION, [collection.chunks[h.row].text])[0] for h in first]
    best = sorted(zip(alone, (h.row for h in first), strict=True), key=lambda p: (-p[0], p[1]))
    assert [h.row for h in again] == [row for _score, row in best[:3]]
    for hit in again:  # each hit carries its cross-encoder score
        assert hit.score == pytest.approx(alone[[h.row for h in first].index(hit.row)], abs=1e-4)


def test_the_cli_reranks_queries_and_scores_reranking(root: Path, cross_encoder: Path) -> None:
    query = invoke(
        "rag", "query", "vergabe", QUESTION, "--root", root, "--rerank", cross_encoder, "--json"
    )
    assert query.exit_code == 0, query.output
    assert len(json.loads(query.stdout)) >= 1
    questions = root.parent / "fragen.jsonl"
    questions.write_text(
        json.dumps({"question": QUESTION, "document": "leitfaden.pdf", "page": 2}) + "\n",
        encoding="utf-8",
    )
    scored = invoke(
        "rag", "eval", "vergabe", questions, "--root", root, "--rerank", cross_encoder, "--json"
    )
    assert scored.exit_code == 0, scored.output
    assert [s["mode"] for s in json.loads(scored.stdout)] == ["bm25", "bm25+mini-reranker"]
    wrong = invoke("rag", "query", "vergabe", QUESTION, "--root", root, "--rerank", root)
    assert wrong.exit_code == 2 and "keine config.json eines Cross-Encoders" in wrong.output


def test_the_server_reranks_collection_searches(
    root: Path, cross_encoder: Path, long_model_dir: Path
) -> None:
    import httpx

    from gemeingut.serve.app import create_app
    from gemeingut.serve.backends import TransformersBackend
    from tests.http_server import running_server

    reranker = Reranker(cross_encoder)
    backend = TransformersBackend(long_model_dir, model_name="winzig")
    app = create_app(backend, collections=root, reranker=reranker, page=False)
    with running_server(app) as url:
        found = httpx.post(
            f"{url}/v1/collections/vergabe/search", json={"query": QUESTION, "mode": "bm25"}
        ).json()["data"]
    collection = open_collection(root, "vergabe")
    expected = search(collection, QUESTION, k=5, mode="bm25", reranker=reranker)
    assert [hit["id"] for hit in found] == [collection.chunks[h.row].id for h in expected]


def test_a_long_question_is_cut_not_refused(root: Path, cross_encoder: Path) -> None:
    collection = open_collection(root, "vergabe")
    long_question = " ".join([QUESTION] * 60)  # far beyond the cross-encoder's 512 tokens
    first = search(collection, long_question, k=3, mode="bm25")
    hits = search(collection, long_question, k=3, mode="bm25", reranker=Reranker(cross_encoder))
    assert hits and {h.row for h in hits} == {h.row for h in first}
