"""A collection read by reader format 12 has its PDF documents read again at the next ingest
(a page was one passage without a section, `test_pdf_sections.py`), and is searched only after
it; its DOCX, ODT, Markdown, HTML and text documents, read alike, stay as they are."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gemeingut.apps.rag.retrieve import search
from gemeingut.errors import InputError
from tests.apps.rag.documents import write_markdown
from tests.apps.rag.reader_formats import NOTE_KEY, as_read_by, ingested_again
from tests.apps.rag.test_office_files import SAVED
from tests.apps.rag.test_pdf_sections import write_tender


def test_pdfs_of_format_12_are_read_again_other_kinds_are_not(tmp_path: Path) -> None:
    docs = tmp_path / "akten"
    write_tender(docs / "vergabe.pdf")
    for path in SAVED:
        shutil.copy(path, docs)
    write_markdown(docs / "hinweise.md")
    (docs / "aushang.html").write_text("<h1>Aushang</h1><p>Ab Montag.</p>", encoding="utf-8")
    old = as_read_by(docs, tmp_path / "c", 12)
    assert old.outdated == ["akten/vergabe.pdf"]
    with pytest.raises(InputError, match="muss neu aufgenommen werden"):
        search(old, "Preisblatt", mode="bm25")
    report, collection = ingested_again(docs, tmp_path / "c")
    assert report.reread == ["akten/vergabe.pdf"]
    assert report.unchanged == [
        "akten/allgemeinverfuegung.docx",
        "akten/allgemeinverfuegung.odt",
        "akten/aushang.html",
        "akten/hinweise.md",
        NOTE_KEY,
    ]
    [hit] = search(collection, "Preisblatt Positionen", mode="bm25", k=1)
    chunk = collection.chunks[hit.row]
    assert (chunk.document, chunk.page, chunk.section) == ("akten/vergabe.pdf", 3, "Anlage 2")
