"""A question file's mistakes are named by file, line and field before anything is scored: a
question that could never be answered would count as missed and make the scores mean
nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.apps.rag.evaluate import evaluate, read_questions
from gemeingut.apps.rag.index import ingest, open_collection
from gemeingut.errors import InputError
from tests.apps.rag.documents import write_odt, write_pdf


@pytest.fixture
def collection(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    write_pdf(docs / "leitfaden.pdf")
    write_odt(docs / "vermerk.odt")
    ingest(tmp_path / "c", "v", [docs])
    return open_collection(tmp_path / "c", "v")


def _questions(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.mark.parametrize("field", ["document", "question"])
def test_a_missing_field_is_named_with_file_and_line(tmp_path: Path, field: str) -> None:
    whole = {"question": "Frist", "document": "leitfaden.pdf"}
    path = _questions(
        tmp_path / "fragen.jsonl", whole, {k: v for k, v in whole.items() if k != field}
    )
    with pytest.raises(InputError) as missing:
        read_questions(path)
    assert str(missing.value.message) == f"{path}, Zeile 2: das Feld {field} fehlt"
    assert "KeyError" not in str(missing.value)


def test_a_line_that_is_no_object_is_named(tmp_path: Path) -> None:
    path = tmp_path / "fragen.jsonl"
    path.write_text('["Frist", "leitfaden.pdf"]\n', encoding="utf-8")
    with pytest.raises(InputError, match="Zeile 1: kein JSON-Objekt"):
        read_questions(path)


def test_a_page_for_a_document_without_pages_is_refused(tmp_path: Path, collection) -> None:
    path = _questions(
        tmp_path / "fragen.jsonl",
        {"question": "Barrierefreiheit", "document": "leitfaden.pdf", "page": 3},
        {"question": "Barrierefreiheit", "document": "vermerk.odt", "page": 1},
    )
    with pytest.raises(InputError) as refused:
        evaluate(collection, read_questions(path), "bm25")
    assert str(refused.value.message) == (
        f"{path}, Zeile 2: vermerk.odt hat keine Seiten, Seite 1 kann also nicht gefunden werden"
    )
    assert 'lassen Sie "page"' in str(refused.value.hint)


def test_a_page_the_document_does_not_have_is_refused(tmp_path: Path, collection) -> None:
    path = _questions(
        tmp_path / "fragen.jsonl",
        {"question": "Barrierefreiheit", "document": "leitfaden.pdf", "page": 7},
    )
    with pytest.raises(InputError) as refused:
        evaluate(collection, read_questions(path), "bm25")
    assert str(refused.value.message) == (
        f"{path}, Zeile 1: leitfaden.pdf hat keinen Text auf Seite 7 (sein Text steht auf den "
        "Seiten 1 bis 3)"
    )


def test_pages_and_sections_that_exist_are_scored(tmp_path: Path, collection) -> None:
    path = _questions(
        tmp_path / "fragen.jsonl",
        {"question": "Barrierefreiheit Leistungsbeschreibung", "document": "leitfaden.pdf",
         "page": 3},
        {"question": "Barrierefreiheit", "document": "vermerk.odt",
         "section": "Barrierefreiheit"},
    )  # fmt: skip
    scores = evaluate(collection, read_questions(path), "bm25", k=3)
    assert scores.questions == 2 and scores.recall == 1.0


def test_a_section_is_named_by_its_heading_or_the_end_of_its_heading_path() -> None:
    from gemeingut.apps.rag.evaluate import Question
    from gemeingut.apps.rag.index import StoredChunk

    chunk = StoredChunk(
        id="a-0",
        document="satzung.odt",
        page=None,
        section="Hundesteuer › § 2 Steuersatz",
        text="96 Euro.",
    )
    for named in ("§ 2 Steuersatz", "Hundesteuer › § 2 Steuersatz"):
        assert Question("Wie hoch?", "satzung.odt", section=named).answered_by(chunk)
    for other in ("Steuersatz", "Hundesteuer", "§ 2"):  # a heading is named whole
        assert not Question("Wie hoch?", "satzung.odt", section=other).answered_by(chunk)
