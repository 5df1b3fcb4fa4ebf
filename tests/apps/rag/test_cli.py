"""`gemeingut rag` end to end: ingest, query, eval, and an answer from a real server on
loopback whose citations are checked (the tiny random model cites nothing: no evidence)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apps.rag.documents import (
    write_buergeramt_html,
    write_hundesteuer_odt,
    write_labelled_pdf,
    write_markdown,
    write_parken_markdown,
    write_pdf,
)
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
    said = " ".join(broken.output.split())
    assert broken.exit_code == 2 and "Zeile 1: das Feld document fehlt" in said, said
    assert "KeyError" not in said


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
    assert result.exit_code == 2 and "keine Sammlung „fehlt“" in result.output
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


def test_a_query_that_finds_nothing_says_so(collection: Path) -> None:
    common = invoke("rag", "query", "vergabe", "der die das", "--root", collection)
    assert common.exit_code == 0
    assert "nichts gefunden: jedes Wort der Frage ist zu häufig" in common.output
    unknown = invoke("rag", "query", "vergabe", "Quantenchromodynamik", "--root", collection)
    assert unknown.exit_code == 0 and "nichts gefunden in „vergabe“" in unknown.output


def test_ingest_names_a_skipped_file_once_and_counts_without_false_plurals(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "kaputt.pdf").write_bytes(b"%PDF-1.4 kaputt")
    (docs / "a.txt").write_text("Die Frist beträgt dreißig Tage.", encoding="utf-8")
    result = invoke("rag", "ingest", "v", docs, "--root", tmp_path / "c")
    assert result.exit_code == 1
    summary = "1 neu, 0 geändert, 0 unverändert, 0 entfernt; Textabschnitte insgesamt: 1"
    assert summary in result.output
    [line] = [line for line in result.output.splitlines() if "übersprungen" in line]
    damaged = "die Datei ist beschädigt oder keine PDF-Datei"
    assert line.startswith(f"übersprungen: {docs / 'kaputt.pdf'}: {damaged}")
    assert line.count("kaputt.pdf") == 1
    questions = tmp_path / "fragen.jsonl"
    questions.write_text(json.dumps({"question": "Frist", "document": "a.txt"}) + "\n")
    scored = invoke("rag", "eval", "v", questions, "--root", tmp_path / "c")
    assert scored.exit_code == 0 and "Fragen: 1" in scored.output


def test_ingest_names_a_folders_files_of_a_type_it_cannot_read_by_type(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Die Frist beträgt dreißig Tage.", encoding="utf-8")
    for name in ["alt.doc", "LIESMICH", ".DS_Store", *(f"tabelle{i}.xlsx" for i in range(7))]:
        (docs / name).write_bytes(b"\xd0\xcf\x11\xe0")
    result = invoke("rag", "ingest", "v", docs, "--root", tmp_path / "c")
    assert result.exit_code == 0, result.output  # what can be read was; the rest is named
    lines = [
        " ".join(line.split()) for line in result.output.splitlines() if "übersprungen" in line
    ]
    supported = "unterstützt: .docx, .htm, .html, .markdown, .md, .odt, .pdf, .txt"
    assert lines == [
        f"übersprungen: Dateien ohne Endung werden nicht gelesen ({supported}): "
        + str(docs / "LIESMICH"),
        f"übersprungen: Typ .doc wird nicht unterstützt ({supported}): {docs / 'alt.doc'}",
        f"übersprungen: Typ .xlsx wird nicht unterstützt ({supported}): 7 Dateien, darunter "
        + ", ".join(str(docs / f"tabelle{i}.xlsx") for i in range(5)),
    ]
    report = json.loads(
        invoke("rag", "ingest", "v", docs, "--root", tmp_path / "c", "--json").stdout
    )
    assert report["unsupported"][".doc"] == [str(docs / "alt.doc")]
    assert len(report["unsupported"][".xlsx"]) == 7 and ".DS_Store" not in result.output


def test_eval_names_a_page_given_as_text_a_document_not_held_and_what_it_scored(
    collection: Path, tmp_path: Path
) -> None:
    questions = tmp_path / "fragen.jsonl"
    right = {"question": "Barrierefreiheit", "document": "leitfaden.pdf", "page": 3}
    questions.write_text(json.dumps(right | {"page": "3"}) + "\n", encoding="utf-8")
    as_text = invoke("rag", "eval", "vergabe", questions, "--root", collection)
    said = " ".join(as_text.output.split())
    assert as_text.exit_code == 2 and "Zeile 1: page muss eine Zahl sein, nicht '3'" in said, said
    unknown = right | {"document": "leitfadn.pdf"}
    questions.write_text(json.dumps(right) + "\n" + json.dumps(unknown) + "\n", "utf-8")
    typo = invoke("rag", "eval", "vergabe", questions, "--root", collection)
    assert typo.exit_code == 2 and "Zeile 2" in typo.output and "leitfadn.pdf" in typo.output
    questions.write_text(json.dumps(right) + "\n", encoding="utf-8")
    asked = invoke("rag", "eval", "vergabe", questions, "--root", collection, "--mode", "hybrid")
    scored = invoke("rag", "eval", "vergabe", questions, "--root", collection, "--json", "--mode",
                    "hybrid")  # fmt: skip
    assert asked.exit_code == 0 and json.loads(scored.stdout)[0]["mode"] == "bm25"


def test_a_document_is_found_by_its_title_and_the_headings_above_a_passage(
    tmp_path: Path,
) -> None:
    from gemeingut.apps.rag.cite import check_citations
    from gemeingut.apps.rag.index import open_collection

    docs = tmp_path / "docs"
    docs.mkdir()
    write_hundesteuer_odt(docs / "hundesteuer.odt")
    write_parken_markdown(docs / "parken.md")
    write_buergeramt_html(docs / "sprechzeiten.html")
    root = tmp_path / "c"
    assert invoke("rag", "ingest", "satzungen", docs, "--root", root).exit_code == 0
    for question, document, section in (
        ("Hundesteuer", "docs/hundesteuer.odt", "Satzung über die Hundesteuer › § 2 Steuersatz"),
        ("Parkraumbewirtschaftung", "docs/parken.md", "Parkraumbewirtschaftung › Zonen"),
        ("Sprechzeiten", "docs/sprechzeiten.html", "Sprechzeiten des Bürgeramts › Donnerstag"),
    ):
        found = invoke("rag", "query", "satzungen", question, "--root", root, "--json")
        rows = json.loads(found.stdout)
        assert (document, section) in [(r["document"], r["section"]) for r in rows], question
        assert all(question not in r["text"] for r in rows)  # the text stays the passage's
    shown = invoke("rag", "query", "satzungen", "Hundesteuer", "--root", root)
    said = " ".join(shown.output.split())
    assert ", „Satzung über die Hundesteuer › § 2 Steuersatz“" in said, said  # its § says the kind
    collection = open_collection(root, "satzungen")
    [chunk] = [c for c in collection.chunks if c.section and c.section.endswith("Steuersatz")]
    quoted = check_citations("„Die Steuer beträgt für den ersten Hund“ [1]", [chunk])
    assert quoted.supported  # citations are checked against the document's own text
    heading = check_citations("„Satzung über die Hundesteuer“ [1]", [chunk])
    assert [c.problem for c in heading.citations] == ["quote_not_in_source"]


def test_a_pdf_is_cited_and_scored_by_the_page_number_printed_on_it(tmp_path: Path) -> None:
    write_labelled_pdf(tmp_path / "satzung.pdf")  # sheets i, ii, 1, 2
    root = tmp_path / "c"
    assert invoke("rag", "ingest", "s", tmp_path / "satzung.pdf", "--root", root).exit_code == 0
    shown = invoke("rag", "query", "s", "Hundesteuer ersten Hund", "--root", root)
    assert "[1] satzung.pdf, S. 1  (" in shown.output, shown.output
    questions = tmp_path / "fragen.jsonl"
    asked = {"question": "Hundesteuer ersten Hund", "document": "satzung.pdf", "page": 1}
    questions.write_text(json.dumps(asked) + "\n", encoding="utf-8")
    scored = invoke("rag", "eval", "s", questions, "--root", root, "--json")
    assert scored.exit_code == 0 and json.loads(scored.stdout)[0]["recall"] == 1.0
    questions.write_text(json.dumps(asked | {"page": 3}) + "\n", encoding="utf-8")
    sheet = invoke("rag", "eval", "s", questions, "--root", root)
    said = " ".join(sheet.output.split())
    assert sheet.exit_code == 2 and "(sein Text steht auf den Seiten 1 bis 2)" in said, said


def test_a_text_file_in_windows_encoding_is_ingested_and_its_encoding_named(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "alt.txt").write_bytes("Die Straßenreinigung kostet 5 € je Meter.".encode("cp1252"))
    (docs / "neu.txt").write_text("Die Winterdienstgebühr ist neu.", encoding="utf-8")
    root = tmp_path / "c"
    result = invoke("rag", "ingest", "v", docs, "--root", root)
    assert result.exit_code == 0, result.output
    assert "docs/alt.txt: nicht UTF-8, als Windows-1252 gelesen" in result.output
    assert "neu.txt" not in result.output
    found = json.loads(
        invoke("rag", "query", "v", "Straßenreinigung", "--root", root, "--json").stdout
    )
    assert found[0]["text"] == "Die Straßenreinigung kostet 5 € je Meter."
    (docs / "alt.txt").write_bytes("Die Straßenreinigung kostet 6 €.".encode("cp1252"))
    again = invoke("rag", "ingest", "v", docs, "--root", root, "--json")
    assert json.loads(again.stdout)["encodings"] == {"docs/alt.txt": "Windows-1252"}


def test_an_empty_question_is_a_usage_error(collection: Path, tmp_path: Path) -> None:
    for blank in ("", "   "):
        result = invoke("rag", "query", "vergabe", blank, "--root", collection)
        assert result.exit_code == 2 and "die Frage ist leer" in result.output, result.output
    questions = tmp_path / "fragen.jsonl"
    questions.write_text('{"question": " ", "document": "hinweise.md"}\n', encoding="utf-8")
    scored = invoke("rag", "eval", "vergabe", questions, "--root", collection)
    assert scored.exit_code == 2 and "Zeile 1: die Frage ist leer" in scored.output


def test_eval_names_a_missing_or_broken_question_file_in_german(
    collection: Path, tmp_path: Path
) -> None:
    missing = invoke("rag", "eval", "vergabe", tmp_path / "nichtda.jsonl", "--root", collection)
    said = " ".join(missing.output.split())
    assert missing.exit_code == 2 and "nichtda.jsonl existiert nicht" in said, said
    assert "Errno" not in said and "No such file" not in said
    questions = tmp_path / "fragen.jsonl"
    questions.write_text(
        '{"question": "Frist", "document": "hinweise.md"}\n'
        '{"question": "Frist" "document": "hinweise.md"}\n',
        encoding="utf-8",
    )
    broken = invoke("rag", "eval", "vergabe", questions, "--root", collection)
    said = " ".join(broken.output.split())
    assert broken.exit_code == 2, said
    assert "fragen.jsonl, Zeile 2, Spalte 22: kein gültiges JSON: ein Komma fehlt" in said, said
    assert "JSONDecodeError" not in said and "Expecting" not in said
    questions.write_bytes('{"question": "Gebühr", "document": "hinweise.md"}'.encode("cp1252"))
    windows = invoke("rag", "eval", "vergabe", questions, "--root", collection)
    said = " ".join(windows.output.split())
    assert windows.exit_code == 2 and "ist nicht UTF-8 (Zeile 1: Byte 0xfc)" in said, said


def test_scores_are_written_as_the_language_writes_numbers(
    collection: Path, tmp_path: Path
) -> None:
    import re

    questions = tmp_path / "fragen.jsonl"
    asked = {"question": "Gewichtung Zuschlagskriterien", "document": "hinweise.md"}
    questions.write_text(json.dumps(asked) + "\n", encoding="utf-8")
    german = invoke("rag", "eval", "vergabe", questions, "--root", collection)
    assert german.exit_code == 0 and "1,000" in german.output and "1.000" not in german.output
    english = invoke("--lang", "en", "rag", "eval", "vergabe", questions, "--root", collection)
    assert "1.000" in english.output
    shown = invoke("rag", "query", "vergabe", "Gewichtung", "--root", collection)
    assert re.search(r"S\. 1  \(BM25-Wert \d+,\d{3}\)", shown.output), shown.output
