"""A collection read by reader format 11 has its DOCX, ODT, Markdown and HTML documents read
again at the next ingest (a list item's number was in no chunk, a DOCX's SmartArt in a header
or text box neither, an image's description that is its figure's caption twice); its text
documents, read alike, stay as they are (its PDFs are read again too: format 13 cuts their
pages at headings, `test_reader_format_13.py`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from gemeingut.apps.rag.index import ingest, open_collection
from tests.apps.rag.test_ocr_kept import read_by_format
from tests.apps.rag.test_office_files import SAVED
from tests.apps.rag.test_readers_figure_caption import FIGURES


def test_docx_odt_markdown_and_html_of_format_11_are_read_again_text_is_not(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "akten"
    docs.mkdir()
    for path in SAVED:
        shutil.copy(path, docs)
    (docs / "baustelle.md").write_text(f"# Baustelle\n\n{FIGURES}\n\nAb Montag.\n", "utf-8")
    (docs / "baustelle.html").write_text(f"<h1>Baustelle</h1>{FIGURES}", encoding="utf-8")
    (docs / "notiz.txt").write_text("Rückruf bis Freitag.\n", encoding="utf-8")
    root = tmp_path / "c"
    ingest(root, "amt", [docs])
    read_by_format(root / "amt", 11)
    again = [
        "akten/allgemeinverfuegung.docx",
        "akten/allgemeinverfuegung.odt",
        "akten/baustelle.html",
        "akten/baustelle.md",
    ]
    assert open_collection(root, "amt").outdated == again
    report = ingest(root, "amt", [docs])
    assert report.reread == again
    assert report.unchanged == ["akten/notiz.txt"]
    collection = open_collection(root, "amt")
    numbered = {c.document for c in collection.chunks if "3. Baugerüste und Container." in c.text}
    assert numbered == set(again[:2])
