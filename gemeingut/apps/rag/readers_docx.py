"""A DOCX as a reader of it in Word sees it (python-docx, and its XML where python-docx passes
over text): paragraphs and tables under their headings, a text box's text after the paragraph
it stands at, each footnote and endnote after what cites it, headers and footers once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import takewhile
from pathlib import Path
from typing import Any

from gemeingut.apps.rag.passages import Outline, Passage, table_row, text_lines

# Word writes a text box twice where older Words may read the file: as DrawingML (the
# choice) and as VML (its fallback, the same text); only the choice is read.
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def read_docx(path: Path) -> Iterator[Passage]:
    """A DOCX's paragraphs and tables under their headings, the text of each text box after
    the paragraph or table it is anchored in, each footnote and endnote after the paragraph
    or table that cites it, then the text of its headers and footers (once each: the same
    letterhead stands on every page)."""
    import docx
    from docx.oxml.ns import qn
    from docx.table import Table

    document = docx.Document(str(path))
    notes = _notes(document.part)
    outline = Outline()
    for block in _blocks(document.element.body, document):
        if isinstance(block, Table):
            yield outline.passage(_table(block))
        else:
            level = _level((block.style.name if block.style is not None else "") or "")
            if level is None:
                yield outline.passage(_text(block._p))
            else:
                yield outline.enter(level, _text(block._p))
        for box in _text_boxes(block._element):
            yield outline.passage(_story(box, document))
        cited = block._element.xpath(".//w:footnoteReference | .//w:endnoteReference")
        for reference in cited:
            yield outline.passage(notes.pop((reference.tag, reference.get(qn("w:id"))), ""))
    yield outline.end()
    for lines in dict.fromkeys(_headers_and_footers(document)):
        yield Passage(lines, section=outline.title)


def _blocks(element: Any, parent: Any) -> Iterator[Any]:
    """The paragraphs and tables of a DOCX body in document order, also those inside content
    controls (<w:sdt>: a template's fields, a cover page), which python-docx passes over."""
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in element.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, parent)
        elif child.tag == qn("w:tbl"):
            yield Table(child, parent)
        elif child.tag == qn("w:sdt"):
            for content in child.iterchildren(qn("w:sdtContent")):
                yield from _blocks(content, parent)


def _text(paragraph: Any) -> str:
    """A DOCX paragraph's text as Word shows it: also the runs python-docx passes over, in
    an inserted change (<w:ins>), a content control or a field; not a text box's (another
    story, `_text_boxes`) nor a deleted or moved-away run's. A paragraph in a text box has
    the runs in the box as its own."""
    boxes = int(paragraph.xpath("count(ancestor::w:txbxContent)"))  # the boxes it stands in
    runs = paragraph.xpath(
        f".//w:r[count(ancestor::w:txbxContent) = {boxes}"
        " and not(ancestor::w:del or ancestor::w:moveFrom)]"
    )
    return "".join(run.text for run in runs)


def _text_boxes(element: Any) -> Iterator[Any]:
    """The content (<w:txbxContent>) of each text box in a paragraph or table, in a drawing
    or a VML shape; not the VML copy Word writes beside a drawing (`_FALLBACK`), nor a box
    inside another box (read with the box it stands in, `_story`)."""
    from docx.oxml.ns import qn

    for box in element.iter(qn("w:txbxContent")):
        between = takewhile(lambda above: above is not element, box.iterancestors())
        if not any(above.tag in (_FALLBACK, qn("w:txbxContent")) for above in between):
            yield box


def _story(element: Any, parent: Any) -> str:
    """The text of a story apart from the body (a header, a footer, a note, a text box): its
    paragraphs and tables line by line, each followed by the text boxes standing in it."""
    from docx.table import Table

    lines = []
    for block in _blocks(element, parent):
        lines.append(_table(block) if isinstance(block, Table) else _text(block._p))
        lines.extend(_story(box, parent) for box in _text_boxes(block._element))
    return text_lines(lines)


def _notes(part: Any) -> dict[tuple[str, str], str]:
    """The text of each footnote and endnote (`_story`), by (its reference's tag, its id)."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn

    kinds = {RT.FOOTNOTES: "footnote", RT.ENDNOTES: "endnote"}
    notes = {}
    for relation in part.rels.values():
        kind = kinds.get(relation.reltype)
        if kind is None or relation.is_external:
            continue
        for note in parse_xml(relation.target_part.blob).iterchildren(qn(f"w:{kind}")):
            notes[(qn(f"w:{kind}Reference"), note.get(qn("w:id")))] = _story(note, part)
    return notes


def _headers_and_footers(document: Any) -> Iterator[str]:
    """The text of each header and footer a DOCX defines (a section's own, its first page's,
    its even pages'), its paragraphs, tables and text boxes line by line."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    for relation in document.part.rels.values():
        if relation.reltype not in (RT.HEADER, RT.FOOTER) or relation.is_external:
            continue
        part = relation.target_part
        yield _story(part.element, part)


def _level(style: str) -> int | None:
    """A DOCX paragraph's heading level by its style: 0 for the title, None for no heading."""
    if style.startswith(("Title", "Titel")):
        return 0
    if not style.startswith(("Heading", "Überschrift")):
        return None
    found = re.search(r"(\d+)$", style)
    return int(found[1]) if found else 1


def _table(table: Any) -> str:
    """One line per row; a cell merged across columns once, a table in a cell in its cell."""
    from docx.table import Table

    rows = []
    for row in table.rows:
        texts, spanning = [], None
        for cell in row.cells:
            if cell._tc is spanning:  # python-docx gives a merged cell once per column
                continue
            spanning = cell._tc
            inner = (
                _table(b) if isinstance(b, Table) else _text(b._p)
                for b in cell.iter_inner_content()
            )
            texts.append(" ".join(t.strip() for t in inner if t.strip()))
        rows.append(table_row(texts))
    return "\n".join(rows)
