"""A collection read by reader format 11 has its DOCX, ODT, Markdown and HTML documents read
again at the next ingest (a list item's number was in no chunk, a DOCX's SmartArt in a header
or text box neither, an image's description that is its figure's caption twice); its text
documents, read alike, stay as they are (its PDFs are read again too: format 13 cuts their
pages at headings, `test_reader_format_13.py`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.apps.rag.reader_formats import NOTE_KEY, as_read_by, ingested_again
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
    old = as_read_by(docs, tmp_path / "c", 11)
    again = [
        "akten/allgemeinverfuegung.docx",
        "akten/allgemeinverfuegung.odt",
        "akten/baustelle.html",
        "akten/baustelle.md",
    ]
    assert old.outdated == again
    report, collection = ingested_again(docs, tmp_path / "c")
    assert report.reread == again
    assert report.unchanged == [NOTE_KEY]
    numbered = {c.document for c in collection.chunks if "3. Baugerüste und Container." in c.text}
    assert numbered == set(again[:2])
