"""A collection read by reader format 10 has its DOCX, ODT, Markdown and HTML documents read
again at the next ingest (a picture's description, a DOCX's rows in content controls and
SmartArt text were in no chunk, an ODT's comment glued into its paragraph, a Markdown file's
HTML table run together, an HTML paragraph broken where its source was wrapped); its text
documents, read alike, stay as they are (its PDFs are read again too: format 13 cuts their
pages at headings, `test_reader_format_13.py`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from gemeingut.apps.rag.retrieve import search
from tests.apps.rag.reader_formats import NOTE_KEY, as_read_by, ingested_again
from tests.apps.rag.test_html_images_and_table_rows import PAGE
from tests.apps.rag.test_markdown_html_tables import SATZUNG
from tests.apps.rag.test_office_files import SAVED


def test_docx_odt_markdown_and_html_of_format_10_are_read_again_text_is_not(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "akten"
    docs.mkdir()
    for path in SAVED:
        shutil.copy(path, docs)
    (docs / "satzung.md").write_text(SATZUNG, encoding="utf-8")
    (docs / "widerspruch.html").write_text(PAGE, encoding="utf-8")
    old = as_read_by(docs, tmp_path / "c", 10)
    again = [
        "akten/allgemeinverfuegung.docx",
        "akten/allgemeinverfuegung.odt",
        "akten/satzung.md",
        "akten/widerspruch.html",
    ]
    assert old.outdated == again
    report, collection = ingested_again(docs, tmp_path / "c")
    assert report.reread == again
    assert report.unchanged == [NOTE_KEY]
    found = search(collection, "Container 25 Euro je Stück", mode="bm25", k=5)
    documents = {collection.chunks[r.row].document for r in found}
    assert {*again[:3]} <= documents  # the row's words together, in the DOCX's and ODT's too
