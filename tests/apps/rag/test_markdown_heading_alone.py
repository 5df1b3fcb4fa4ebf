"""A Markdown heading with nothing under it is still a chunk: every § of a law is found."""

from pathlib import Path

from gemeingut.apps.rag.chunking import chunk_passages
from gemeingut.apps.rag.readers import read_document

# As the federal laws are written: a repealed § over a lone "-" (an empty list item), and a
# form whose lines stand above rules of dashes (CommonMark reads each as a setext heading).
LAW = """# Altholzverordnung

## § 1 Zweck

Diese Verordnung gilt für Altholz.

## § 2 (weggefallen)

-

## Anhang VI Anlieferungsschein für Altholz

Anlieferer (Firma/Ansprechpartner):
----------------------------------------
Herkunft des Materials:
----------------------------------------
"""


def test_a_heading_nothing_stands_under_is_in_a_chunk(tmp_path: Path) -> None:
    path = tmp_path / "altholzv.md"
    path.write_text(LAW, encoding="utf-8")
    chunks = chunk_passages(read_document(path))
    texts = [chunk.text for chunk in chunks]
    assert "§ 2 (weggefallen)" in texts
    # the form's lines above rules are the annex's text (`test_markdown_setext_paragraph.py`)
    assert "Anlieferer (Firma/Ansprechpartner):\n\nHerkunft des Materials:" in texts
    # a heading with a subsection or text under it stays a heading, not a chunk of its own
    assert "Altholzverordnung" not in texts and "§ 1 Zweck" not in texts
    assert chunks[0].text == "Diese Verordnung gilt für Altholz."
    assert chunks[1].section == "Altholzverordnung › § 2 (weggefallen)"
