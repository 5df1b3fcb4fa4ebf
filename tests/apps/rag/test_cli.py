"""`gemeingut rag` end to end: ingest, query, eval, and an answer from a real server on
loopback whose citations are checked (the tiny random model cites nothing: no evidence)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apps.rag.documents import write_markdown, write_pdf
from tests.http_server import serving_process
from tests.test_cli import invoke


@pytest.fixture(scope="module")
def server(long_model_dir: Path) -> Iterator[str]:
    with serving_process(str(long_model_dir), "winzig") as url:
        yield url


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    write_pdf(docs / "leitfaden.pdf")
    write_markdown(docs / "hinweise.md")
    root = tmp_path / "c"
    result = invoke("rag", "ingest", "vergabe", docs, "--root", root, "--group", "einkauf")
    assert result.exit_code == 0, result.output
    assert "2 neu, 0 geändert" in result.output
    return root


def test_query_prints_the_best_chunks_with_their_place(collection: Path) -> None:
    result = invoke("rag", "query", "vergabe", "Frist Eingang Angebote", "--root", collection)
    assert result.exit_code == 0, result.output
    assert "docs/leitfaden.pdf, S. 2" in result.output
    rows = json.loads(
        invoke("rag", "query", "vergabe", "Gewichtung", "--root", collection, "--json").stdout
    )
    assert rows[0]["section"] == "Zuschlag" or rows[0]["page"] == 1
    assert rows[0]["bm25_rank"] == 1


def test_eval_scores_each_mode_and_names_a_broken_question_file(
    collection: Path, tmp_path: Path
) -> None:
    questions = tmp_path / "fragen.jsonl"
    questions.write_text(
        json.dumps({"question": "Gewichtung der Zuschlagskriterien", "document": "hinweise.md",
                    "section": "Zuschlag"}) + "\n"
        + json.dumps({"question": "Barrierefreiheit Leistungsbeschreibung",
                      "document": "leitfaden.pdf", "page": 3}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    result = invoke("rag", "eval", "vergabe", questions, "--root", collection, "--json")
    assert result.exit_code == 0, result.output
    [bm25] = json.loads(result.stdout)  # no vectors: BM25 only
    assert bm25["mode"] == "bm25" and bm25["recall"] == 1.0 and bm25["questions"] == 2
    questions.write_text('{"question": "ohne Dokument"}\n', encoding="utf-8")
    broken = invoke("rag", "eval", "vergabe", questions, "--root", collection)
    assert broken.exit_code == 2 and "Zeile 1: keine Frage" in broken.output


def test_an_answer_is_checked_and_one_without_citations_says_so(
    collection: Path, server: str
) -> None:
    result = invoke(
        "rag", "query", "vergabe", "Wie lange ist die Frist für Angebote?", "--root",
        collection, "--answer", "--endpoint", f"{server}/v1", "--json",
    )  # fmt: skip
    assert result.exit_code == 1, result.output  # the random model cites nothing
    answer = json.loads(result.stdout)
    assert answer["asked_model"] and answer["sources"]
    assert answer["verdict"]["supported"] is False
    assert answer["verdict"]["problems"] == ["Die Antwort belegt nichts mit den Quellen."]


def test_no_evidence_means_no_model_call(collection: Path) -> None:
    result = invoke(
        "rag", "query", "vergabe", "Quantenchromodynamik?", "--root", collection, "--answer",
        "--endpoint", "http://127.0.0.1:9/v1", "--json",
    )  # fmt: skip
    answer = json.loads(result.stdout)
    assert result.exit_code == 1 and not answer["asked_model"]
    assert answer["text"].startswith("Die Sammlung enthält keine Quelle")


def test_vectors_from_the_servers_embeddings_endpoint(tmp_path: Path, server: str) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    write_markdown(docs / "hinweise.md")
    root = tmp_path / "c"
    result = invoke("rag", "ingest", "v", docs, "--root", root, "--embed", f"{server}/v1")
    assert result.exit_code == 0, result.output
    listed = json.loads(invoke("rag", "list", "--root", root, "--json").stdout)
    assert listed == [
        {"name": "v", "groups": [], "documents": 1, "chunks": 2, "embedder": "winzig"}
    ]
    dense = invoke("rag", "query", "v", "Frist", "--root", root, "--mode", "dense", "--json")
    assert dense.exit_code == 0 and len(json.loads(dense.stdout)) == 2


def test_user_mistakes_are_one_line_and_exit_2(tmp_path: Path) -> None:
    result = invoke("rag", "query", "fehlt", "Frage", "--root", tmp_path)
    assert result.exit_code == 2 and "keine Sammlung 'fehlt'" in result.output
    bad_mode = invoke("rag", "ingest", "v", tmp_path, "--root", tmp_path / "c", "--embed", "x")
    assert bad_mode.exit_code == 2 and "weder ein Modellordner" in bad_mode.output


def test_a_context_too_short_for_one_source_is_a_clear_error(
    collection: Path, model_dir: Path
) -> None:
    with serving_process(str(model_dir), "kurz") as url:  # 256 tokens of context
        result = invoke(
            "rag", "query", "vergabe", "Frist für Angebote?", "--root", collection,
            "--answer", "--endpoint", f"{url}/v1",
        )  # fmt: skip
    assert result.exit_code == 2
    assert "Kontext des Modells (256 Tokens) fasst Anweisungen" in result.output
