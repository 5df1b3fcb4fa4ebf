"""What the README says an ingest skips as "the same text": the same words under the same
headings in the same chunks, as an ODT and a DOCX of one document are; and what it says is
taken twice: a Markdown copy of a Word draft whose numbered list is one paragraph there and a
paragraph per item in Word (a clerk's .md and .docx of one draft were both found, the README
had said that the same text in another format is skipped)."""

from __future__ import annotations

from pathlib import Path

from gemeingut.apps.rag.index import ingest

TITLE = "Dienstanweisung Beschaffung"
INTRO = "Für die Beschaffung gelten folgende Zuständigkeiten."
ITEMS = [
    "Bedarfe bis 1.000 Euro netto beschafft das Fachamt selbst.",
    "Aufträge über 25.000 Euro netto zeichnet das Rechnungsprüfungsamt gegen.",
]


def _docx(path: Path, numbered: bool) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(TITLE, 1)
    document.add_paragraph(INTRO)
    for item in ITEMS:
        document.add_paragraph(item, style="List Number" if numbered else None)
    document.save(str(path))
    return path


def _odt(path: Path) -> Path:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text=TITLE))
    for paragraph in [INTRO, *ITEMS]:
        document.text.addElement(P(text=paragraph))
    document.save(str(path))
    return path


def test_an_odt_beside_the_docx_of_one_document_is_skipped(tmp_path: Path) -> None:
    first = ingest(tmp_path / "c", "akten", [_docx(tmp_path / "Anweisung.docx", False)])
    assert first.added == ["Anweisung.docx"]
    second = ingest(tmp_path / "c", "akten", [_odt(tmp_path / "Anweisung.odt")])
    assert second.added == []
    [why] = second.skipped.values()
    assert "Anweisung.docx" in why, why


def test_a_markdown_copy_of_a_word_list_is_another_text_and_taken(tmp_path: Path) -> None:
    _docx(tmp_path / "Anweisung.docx", True)
    numbered = "\n".join(f"{n}. {item}" for n, item in enumerate(ITEMS, 1))
    (tmp_path / "Anweisung.md").write_text(f"# {TITLE}\n\n{INTRO}\n\n{numbered}\n", "utf-8")
    report = ingest(
        tmp_path / "c", "akten", [tmp_path / "Anweisung.docx", tmp_path / "Anweisung.md"]
    )
    assert sorted(report.added) == ["Anweisung.docx", "Anweisung.md"]
    assert report.skipped == {}
