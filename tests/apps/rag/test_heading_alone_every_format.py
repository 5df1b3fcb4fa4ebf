"""A heading with no text and no subsection under it is a passage of its own words in every
format with headings: an empty section's or the last heading's words are searched and quoted."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.apps.rag.chunking import chunk_passages
from gemeingut.apps.rag.readers import read_document
from tests.apps.rag.documents import chunked

# (level, text): level None for a paragraph. "§ 2" is empty, "Anhang" ends the document.
OUTLINE = [
    (1, "Gebührensatzung"),
    (2, "§ 1 Geltung"),
    (None, "Die Satzung gilt für die Stadtbücherei."),
    (2, "§ 2 (weggefallen)"),
    (2, "§ 3 Gebühren"),
    (None, "Der Ausweis kostet zehn Euro."),
    (2, "Anhang Muster des Ausweises"),
]


def _markdown(path: Path) -> None:
    lines = [text if level is None else "#" * level + " " + text for level, text in OUTLINE]
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")


def _docx(path: Path) -> None:
    import docx

    document = docx.Document()
    for level, text in OUTLINE:
        if level is None:
            document.add_paragraph(text)
        else:
            document.add_heading(text, level=level)
    document.save(str(path))


def _odt(path: Path) -> None:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    for level, text in OUTLINE:
        document.text.addElement(
            P(text=text) if level is None else H(outlinelevel=level, text=text)
        )
    document.save(str(path))


def _html(path: Path) -> None:
    body = "".join(
        f"<p>{text}</p>" if level is None else f"<h{level}>{text}</h{level}>"
        for level, text in OUTLINE
    )
    path.write_text(f"<html><body>{body}</body></html>", encoding="utf-8")


@pytest.mark.parametrize(
    "write, name", [(_markdown, "a.md"), (_docx, "a.docx"), (_odt, "a.odt"), (_html, "a.html")]
)
def test_an_empty_section_and_the_last_heading_are_chunks(write, name: str, tmp_path: Path) -> None:
    write(tmp_path / name)
    assert chunked(tmp_path / name) == [
        ("Gebührensatzung › § 1 Geltung", "Die Satzung gilt für die Stadtbücherei."),
        ("Gebührensatzung › § 2 (weggefallen)", "§ 2 (weggefallen)"),
        ("Gebührensatzung › § 3 Gebühren", "Der Ausweis kostet zehn Euro."),
        ("Gebührensatzung › Anhang Muster des Ausweises", "Anhang Muster des Ausweises"),
    ]


def test_a_text_files_heading_alone_is_a_chunk_of_its_line(tmp_path: Path) -> None:
    path = tmp_path / "satzung.txt"
    path.write_text(
        "§ 1 Geltung\n\nDie Satzung gilt für die Stadtbücherei.\n\n§ 2 (weggefallen)\n\n"
        "§ 3 Gebühren\n\nDer Ausweis kostet zehn Euro.\n\nAnlage 1 Muster des Ausweises\n",
        encoding="utf-8",
    )
    chunks = chunk_passages(read_document(path))
    assert [(c.section, c.text, c.lines) for c in chunks] == [
        ("§ 1 Geltung", "Die Satzung gilt für die Stadtbücherei.", (3, 3)),
        ("§ 2 (weggefallen)", "§ 2 (weggefallen)", (5, 5)),
        ("§ 3 Gebühren", "Der Ausweis kostet zehn Euro.", (9, 9)),
        ("Anlage 1 Muster des Ausweises", "Anlage 1 Muster des Ausweises", (11, 11)),
    ]
