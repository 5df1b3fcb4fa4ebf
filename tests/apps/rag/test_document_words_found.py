"""`gemeingut rag query` finds the words users put in a document's corners: an ODT's footnote
and page header, a DOCX's text box, a web page's table row and an image's description."""

from __future__ import annotations

import json
from pathlib import Path

from tests.apps.rag.test_docx_text_boxes import write_aushang
from tests.apps.rag.test_html_images_and_table_rows import PAGE
from tests.apps.rag.test_odt_notes_and_page_headers import write_bescheid
from tests.test_cli import invoke


def test_rag_query_finds_notes_headers_text_boxes_table_rows_and_descriptions(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    write_bescheid(docs / "bescheid.odt")
    write_aushang(docs / "aushang.docx")
    (docs / "widerspruch.html").write_text(PAGE, encoding="utf-8")
    root = tmp_path / "c"
    ingested = invoke("rag", "ingest", "amt", docs, "--root", root)
    assert ingested.exit_code == 0, ingested.output
    for question, document, line in (
        ("Bundesfernstraßengesetz", "docs/bescheid.odt", "Nach § 8 Bundesfernstraßengesetz."),
        ("Bankverbindung Sparkasse", "docs/bescheid.odt", "Bankverbindung Sparkasse Musterhausen"),
        ("Raum 204 zweiter Stock", "docs/aushang.docx", "Raum 204, zweiter Stock"),
        ("Frist Widerspruch Tage", "docs/widerspruch.html", "Widerspruch | 14 Tage nach Zugang"),
        (
            "Lageplan Eingang Nord",
            "docs/widerspruch.html",
            "Anschrift: Lageplan Rathaus, Eingang Nord Marktplatz 1",
        ),
    ):
        found = invoke("rag", "query", "amt", question, "--root", root, "--json")
        assert found.exit_code == 0, found.output
        best = json.loads(found.stdout)[0]
        assert best["document"] == document, (question, best)
        assert line in best["text"].splitlines(), (question, best)
