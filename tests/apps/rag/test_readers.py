"""Each format read into passages that keep their page or section."""

from pathlib import Path

import pytest

from gemeingut.apps.rag.readers import read_document
from gemeingut.errors import InputError
from tests.apps.rag.documents import (
    PAGES,
    write_docx,
    write_html,
    write_markdown,
    write_odt,
    write_pdf,
    write_scanned_pdf,
)


def test_a_pdf_keeps_its_page_numbers(tmp_path: Path) -> None:
    passages = read_document(write_pdf(tmp_path / "leitfaden.pdf"))
    assert [p.page for p in passages] == [1, 2, 3]
    assert [p.text for p in passages] == PAGES


def test_a_scanned_pdf_is_read_with_tesseract_page_by_page(tmp_path: Path) -> None:
    passages = read_document(write_scanned_pdf(tmp_path / "scan.pdf"))
    assert [p.page for p in passages] == [1, 2, 3]
    assert [" ".join(p.text.split()) for p in passages] == PAGES


def test_a_scan_without_tesseract_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pytesseract

    scan = write_scanned_pdf(tmp_path / "scan.pdf")
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "kein-ocr"))
    with pytest.raises(InputError) as missing:
        read_document(scan)
    assert "scan.pdf, Seite 1 ist eine gescannte Seite" in str(missing.value)
    assert "tesseract-ocr-deu" in str(missing.value)


@pytest.mark.parametrize(
    ("writer", "name", "expected"),
    [
        (write_docx, "a.docx", [("Zuschlag", PAGES[0]), ("Fristen", PAGES[1])]),
        (write_odt, "a.odt", [("Zuschlag", PAGES[0]), ("Barrierefreiheit", PAGES[2])]),
        (write_html, "a.html", [("Zuschlag", PAGES[0]), ("Fristen", PAGES[1])]),
        (write_markdown, "a.md", [("Zuschlag", PAGES[0]), ("Fristen", PAGES[1])]),
    ],
)
def test_text_formats_keep_the_heading_above_each_passage(
    tmp_path: Path, writer, name: str, expected: list[tuple[str, str]]
) -> None:
    passages = read_document(writer(tmp_path / name))
    assert [(p.section, p.text.strip()) for p in passages] == expected
    assert all(p.page is None for p in passages)


def test_html_leaves_out_scripts_and_navigation(tmp_path: Path) -> None:
    text = " ".join(p.text for p in read_document(write_html(tmp_path / "a.html")))
    assert "var x" not in text and "Menü" not in text


def test_a_damaged_file_is_named_with_what_to_do(tmp_path: Path) -> None:
    broken = tmp_path / "kaputt.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not really a pdf")
    with pytest.raises(InputError, match=r"kaputt\.pdf: keine lesbare PDF-Datei") as failed:
        read_document(broken)
    assert failed.value.hint
    docx = tmp_path / "kaputt.docx"
    docx.write_bytes(b"PK not a zip")
    with pytest.raises(InputError, match=r"kaputt\.docx: keine lesbare DOCX-Datei"):
        read_document(docx)


def test_unknown_formats_and_other_encodings_are_refused_clearly(tmp_path: Path) -> None:
    sheet = tmp_path / "tabelle.xlsx"
    sheet.write_bytes(b"")
    with pytest.raises(InputError, match=r"Typ \.xlsx können nicht gelesen werden") as failed:
        read_document(sheet)
    assert ".pdf" in str(failed.value.hint)
    latin = tmp_path / "alt.txt"
    latin.write_bytes("Gebühren".encode("latin-1"))
    with pytest.raises(InputError, match=r"alt\.txt: nicht UTF-8"):
        read_document(latin)
