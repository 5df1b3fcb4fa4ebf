"""A collection read by reader format 9 has its DOCX, ODT and HTML documents read again at the
next ingest (their text boxes, notes, headers, table rows and image descriptions were in no
chunk, or glued to other words), its Markdown too (format 11 reads its HTML tables); its text
documents, read alike since, stay as they are (its PDFs are read again too: format 13 cuts
their pages at headings, `test_reader_format_13.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.apps.rag.retrieve import search
from gemeingut.errors import InputError
from tests.apps.rag.documents import write_markdown
from tests.apps.rag.reader_formats import NOTE_KEY, as_read_by, ingested_again
from tests.apps.rag.test_docx_text_boxes import write_aushang
from tests.apps.rag.test_html_images_and_table_rows import PAGE
from tests.apps.rag.test_odt_notes_and_page_headers import write_bescheid

READ_AGAIN = [
    "akten/aushang.docx",
    "akten/bescheid.odt",
    "akten/hinweise.md",
    "akten/widerspruch.html",
]


def test_docx_odt_html_and_markdown_of_format_9_are_read_again_text_is_not(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "akten"
    docs.mkdir()
    write_aushang(docs / "aushang.docx")
    write_bescheid(docs / "bescheid.odt")
    (docs / "widerspruch.html").write_text(PAGE, encoding="utf-8")
    write_markdown(docs / "hinweise.md")
    old = as_read_by(docs, tmp_path / "c", 9)
    assert old.outdated == READ_AGAIN
    with pytest.raises(InputError, match="muss neu aufgenommen werden"):
        search(old, "Raum 204", mode="bm25")
    report, collection = ingested_again(docs, tmp_path / "c")
    assert report.reread == READ_AGAIN
    assert report.unchanged == [NOTE_KEY]
    [best] = search(collection, "Raum 204 zweiter Stock", mode="bm25", k=1)
    assert collection.chunks[best.row].text == "Raum 204, zweiter Stock"
