"""A remote encoder behind an engine that does not say its model's prompts (vLLM's `/v1/models`
names none): `rag ingest` and `rag query` say once that texts are embedded without prompts,
suggest a known family's prompts from the model's name without using them, and take the
prompts the person states (`--query-prompt`, `--document-prompt`), recorded with the
collection and kept at later ingests until others are stated. The engine is a vLLM-shaped
embedding server on loopback (`tests.serve.embedding_endpoint`): a real `gemeingut serve`
always names its model's prompts, so it cannot show an engine that says nothing."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.apps.rag.collection import open_collection
from gemeingut.apps.rag.prompted import STATED, TOLD
from tests.serve.embedding_endpoint import embedding_endpoint
from tests.test_cli import invoke

DOCUMENTS = {
    "antrag.txt": "Der Bürger stellt den Antrag heute beim Amt.",
    "frist.txt": "Die Frist für den Bescheid wird vom Amt geprüft.",
}
QUESTION = "Wer prüft die Frist?"
E5 = "intfloat/multilingual-e5-small"
UNSAID_DE = "sagt nicht, welche Prompts das Modell"
UNSAID_EN = "does not say which prompts the model"


def documents(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    for name, body in DOCUMENTS.items():
        (docs / name).write_text(body, encoding="utf-8")
    return docs


def said(result) -> str:
    return " ".join(result.stderr.split())


def test_an_engine_that_names_no_prompts_is_said_once_and_a_family_only_suggested(
    tmp_path: Path,
) -> None:
    docs, root = documents(tmp_path), tmp_path / "c"
    with embedding_endpoint() as engine:
        engine.models = {"object": "list", "data": [{"id": E5, "object": "model"}]}
        embed = ("--embed", engine.url, "--embed-model", E5)
        ingested = invoke("rag", "ingest", "amt", docs, "--root", root, *embed)
        assert ingested.exit_code == 0, ingested.output
        asked = invoke("rag", "query", "amt", QUESTION, "--root", root, "--json")
        english = invoke("--lang", "en", "rag", "query", "amt", QUESTION, "--root", root)
        lexical = invoke("rag", "query", "amt", QUESTION, "--root", root, "--mode", "bm25")
    chunks = [chunk.text for chunk in open_collection(root, "amt").chunks]
    assert sorted(engine.texts) == sorted([*chunks, QUESTION, QUESTION])  # nothing guessed
    for result in (ingested, asked):
        assert said(result).count(UNSAID_DE) == 1, said(result)
        assert f"„{E5}“" in said(result)
        assert '--query-prompt "query: " --document-prompt "passage: "' in said(result)
    json.loads(asked.stdout)  # the note goes to stderr: the answer stays JSON
    assert said(english).count(UNSAID_EN) == 1 and f"'{E5}'" in said(english)
    assert UNSAID_DE not in said(lexical)  # BM25 alone embeds no question


def test_a_model_of_no_known_family_gets_no_prompts_suggested(tmp_path: Path) -> None:
    docs, root = documents(tmp_path), tmp_path / "c"
    with embedding_endpoint() as engine:
        ingested = invoke("rag", "ingest", "amt", docs, "--root", root, "--embed", engine.url)
    assert ingested.exit_code == 0, ingested.output
    assert said(ingested).count(UNSAID_DE) == 1
    assert "--query-prompt TEXT --document-prompt TEXT" in said(ingested)
    assert '"query: "' not in said(ingested)


def test_stated_prompts_are_used_recorded_and_kept_until_others_are_stated(
    tmp_path: Path,
) -> None:
    docs, root = documents(tmp_path), tmp_path / "c"
    stated = ("--query-prompt", "query: ", "--document-prompt", "passage: ")
    with embedding_endpoint() as engine:
        first = invoke("rag", "ingest", "amt", docs, "--root", root, "--embed", engine.url, *stated)
        assert first.exit_code == 0, first.output
        chunks = [chunk.text for chunk in open_collection(root, "amt").chunks]
        assert sorted(engine.texts) == sorted("passage: " + text for text in chunks)
        record = open_collection(root, "amt").meta["embedder"]
        assert record["prompts"] == {"query": "query: ", "document": "passage: "}
        assert record[STATED] is True and record[TOLD] is False
        assert UNSAID_DE not in said(first)

        engine.texts.clear()
        asked = invoke("rag", "query", "amt", QUESTION, "--root", root)
        assert asked.exit_code == 0 and UNSAID_DE not in said(asked)
        assert engine.texts == ["query: " + QUESTION]

        (docs / "neu.txt").write_text("Das Amt prüft den Antrag.", encoding="utf-8")
        engine.texts.clear()
        later = invoke("rag", "ingest", "amt", docs, "--root", root, "--json")  # none stated
        assert later.exit_code == 0, later.output
        assert json.loads(later.stdout)["embedded_again"] == 0
        assert engine.texts == ["passage: Das Amt prüft den Antrag."]
        assert open_collection(root, "amt").meta["embedder"]["prompts"]["document"] == "passage: "

        engine.texts.clear()
        none = ("--query-prompt", "", "--document-prompt", "")
        plain = invoke("rag", "ingest", "amt", docs, "--root", root, "--json", *none)
        assert plain.exit_code == 0, plain.output
        assert json.loads(plain.stdout)["embedded_again"] == 3  # other vectors: all again
        assert json.loads(plain.stdout)["prompts_unsaid"] is False  # "none" was stated
        assert not any(text.startswith("passage: ") for text in engine.texts)
    record = open_collection(root, "amt").meta["embedder"]
    assert "prompts" not in record and record[STATED] is True


def test_one_prompt_stated_says_that_the_other_is_recorded_empty(tmp_path: Path) -> None:
    """Before, `--query-prompt` alone recorded an empty document prompt without a word."""
    docs = documents(tmp_path)
    with embedding_endpoint() as engine:
        query = invoke(
            "rag", "ingest", "q", docs, "--root", tmp_path / "c", "--embed", engine.url,
            "--query-prompt", "query: ", "--json",
        )  # fmt: skip
        document = invoke(
            "--lang", "en", "rag", "ingest", "d", docs, "--root", tmp_path / "c",
            "--embed", engine.url, "--document-prompt", "passage: ",
        )  # fmt: skip
    assert query.exit_code == 0 and document.exit_code == 0, query.output + document.output
    assert "der Dokument-Prompt ist leer; geben Sie --document-prompt an" in said(query)
    json.loads(query.stdout)  # said on stderr: the report stays JSON
    assert "the query prompt is empty; give --query-prompt to set it" in said(document)
    assert "document prompt" not in said(document)
    for name, stated in (("q", {"query": "query: "}), ("d", {"document": "passage: "})):
        assert open_collection(tmp_path / "c", name).meta["embedder"]["prompts"] == stated


def test_prompts_stated_for_a_collection_without_an_endpoint_are_refused(tmp_path: Path) -> None:
    docs, root = documents(tmp_path), tmp_path / "c"
    refused = invoke("rag", "ingest", "amt", docs, "--root", root, "--query-prompt", "query: ")
    assert refused.exit_code != 0
    assert "--query-prompt" in said(refused) and "Traceback" not in refused.output
    assert "--embed" in said(refused).partition("Hinweis:")[2]  # not "a model folder names …"
    assert not (root / "amt" / "collection.json").exists()
