"""A DOCX as a reader of it in Word sees it (python-docx, and its XML where python-docx passes
over text): paragraphs and tables under their headings, a text box's and a SmartArt diagram's
text after the paragraph it stands at (in the body, a text box, a header or a note), a
picture by its description, a list item with its number, each footnote and endnote after
what cites it, headers and footers once; what Word shows of content controls, tracked changes
and fields (their results), as Word and LibreOffice write them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import takewhile
from pathlib import Path
from typing import Any

from gemeingut.apps.rag.docx_lists import Numbering
from gemeingut.apps.rag.passages import (
    Outline,
    Passage,
    image_description,
    table_row,
    text_lines,
    words_apart,
)

# Word writes a text box twice where older Words may read the file: as DrawingML (the
# choice) and as VML (its fallback, the same text); only the choice is read.
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# A content control showing its placeholder, not what was entered (<w:showingPlcHdr/>, on
# unless its w:val says off).
_PLACEHOLDER = "w:sdtPr/w:showingPlcHdr[not(@w:val = '0' or @w:val = 'false' or @w:val = 'off')]"


def read_docx(path: Path) -> Iterator[Passage]:
    """A DOCX's paragraphs and tables under their headings, the text of each text box after
    the paragraph or table it is anchored in, each footnote and endnote after the paragraph
    or table that cites it, then the text of its headers and footers (once each: the same
    letterhead stands on every page)."""
    import docx
    from docx.oxml.ns import qn
    from docx.table import Table

    document = docx.Document(str(path))
    numbers = Numbering(document)
    notes = _notes(document.part, numbers)
    outline = Outline()
    for block in _blocks(document.element.body, document):
        if isinstance(block, Table):
            yield outline.passage(_table(block, numbers))
        else:
            level = _level((block.style.name if block.style is not None else "") or "")
            if level is None:
                yield outline.passage(_text(block._p, numbers))
            else:
                yield outline.enter(level, _text(block._p, numbers))
        for box in _text_boxes(block._element):
            yield outline.passage(_story(box, document.part, numbers))
        for diagram in _diagrams(block._element, document.part):
            yield outline.passage(diagram)
        cited = block._element.xpath(  # not a note whose mark was deleted
            "(.//w:footnoteReference | .//w:endnoteReference)"
            "[not(ancestor::w:del or ancestor::w:moveFrom)]"
        )
        for reference in cited:
            yield outline.passage(notes.pop((reference.tag, reference.get(qn("w:id"))), ""))
    yield outline.end()
    for lines in dict.fromkeys(_headers_and_footers(document, numbers)):
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


def _text(paragraph: Any, numbers: Numbering) -> str:
    """A DOCX paragraph's text as Word shows it: also the runs python-docx passes over, in
    an inserted change (<w:ins>), a content control or a field; not a text box's (another
    story, `_text_boxes`) nor a deleted or moved-away run's, nor the placeholder an empty
    content control shows ("Klicken oder tippen Sie hier, um Text einzugeben.": a template's
    prompt, in every letter made from it). A paragraph in a text box has the runs in the box
    as its own. A picture is its description (`_described`), a word apart from the words
    beside it, as an HTML page's image is. A paragraph of a numbered list begins with its
    number as Word shows it ("3. ", `docx_lists.py`), where it has text."""
    boxes = int(paragraph.xpath("count(ancestor::w:txbxContent)"))  # the boxes it stands in
    runs = paragraph.xpath(
        f".//w:r[count(ancestor::w:txbxContent) = {boxes}"
        " and not(ancestor::w:del or ancestor::w:moveFrom)"
        f" and not(ancestor::w:sdt[{_PLACEHOLDER}])]"
    )
    text = words_apart(piece for run in _shown(runs) for piece in _pieces(run))
    return numbers.label(paragraph) + text if text.strip() else text


def _shown(runs: list[Any]) -> Iterator[Any]:
    """The runs of a paragraph a reader sees: a field's result, not its code (the code's
    <w:instrText> is no run's text, but a field nested in it shows its own result there:
    { IF { MERGEFIELD Anrede } = "Frau" … } is not "Frau" beside what the IF shows); and not
    the number of the page a PAGE field stands on (as a complex field or a <w:fldSimple>): a
    footer's "Seite 3" as Word last saved it is page 1 on the first page; read once, it
    would name one page for every page."""
    from docx.oxml.ns import qn

    fields: list[tuple[str, bool]] = []  # each field open: its code, whether it shows it
    for run in runs:
        for mark in run.xpath("w:fldChar | w:instrText"):
            kind = mark.get(qn("w:fldCharType"))
            if mark.tag == qn("w:instrText") and fields:
                fields[-1] = (fields[-1][0] + (mark.text or ""), fields[-1][1])
            elif kind == "begin":
                fields.append(("", False))
            elif kind == "separate" and fields:
                fields[-1] = (fields[-1][0], True)
            elif kind == "end" and fields:
                fields.pop()
        codes = [code for code, _shows in fields] + run.xpath("ancestor::w:fldSimple/@w:instr")
        in_code = not all(shows for _code, shows in fields)
        if not in_code and not any(code.split()[:1] == ["PAGE"] for code in codes):
            yield run


def _pieces(run: Any) -> Iterator[tuple[str, bool]]:
    """A run's text, then the description of each picture in it (the drawing Word reads, not
    its VML copy for older Words, `_FALLBACK`)."""
    from docx.oxml.ns import qn

    yield run.text, False
    for drawing in _own(run, qn("w:drawing")):
        yield _described(drawing), True


def _described(drawing: Any) -> str:
    """A picture's description as Word and LibreOffice write it: its title and its alt text
    (<wp:docPr title descr>), each once, not its name (`image_description`); none for a
    decorative picture or a text box."""
    return " ".join(
        image_description(
            (properties.get("title") or "", properties.get("descr") or ""),
            properties.get("name") or "",
        )
        for properties in drawing.xpath("./*/wp:docPr")  # in <wp:inline> or <wp:anchor>
    )


def _text_boxes(element: Any) -> Iterator[Any]:
    """The content (<w:txbxContent>) of each text box in a paragraph or table, in a drawing
    or a VML shape (`_own`)."""
    from docx.oxml.ns import qn

    return _own(element, qn("w:txbxContent"))


def _own(element: Any, tag: str) -> Iterator[Any]:
    """Each `tag` inside `element` that is its own: not in the VML copy Word writes beside
    a drawing (`_FALLBACK`), nor inside a text box in it (read with that box, `_story`)."""
    from docx.oxml.ns import qn

    for found in element.iter(tag):
        between = takewhile(lambda above: above is not element, found.iterancestors())
        if not any(above.tag in (_FALLBACK, qn("w:txbxContent")) for above in between):
            yield found


def _diagrams(element: Any, part: Any) -> Iterator[str]:
    """The text of each SmartArt diagram in a paragraph or table, a line for each of its
    shapes' texts: Word keeps it apart from the document (word/diagrams/data*.xml, its data
    model), in the points the diagram draws as shapes (a "node", an assistant's "asst"),
    not in the connections between them. A search finds an organisation chart's "Ordnungsamt"
    as it finds a text box's words."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn

    for ids in _own(element, qn("dgm:relIds")):
        data = part.related_parts.get(ids.get(qn("r:dm")))
        if data is None:  # a diagram without its data: nothing to read
            continue
        points = parse_xml(data.blob).iterfind(f"{qn('dgm:ptLst')}/{qn('dgm:pt')}")
        shapes = (point for point in points if point.get("type", "node") in ("node", "asst"))
        paragraphs = (p for point in shapes for p in point.iterfind(f"{qn('dgm:t')}/{qn('a:p')}"))
        yield text_lines("".join(t.text or "" for t in p.iter(qn("a:t"))) for p in paragraphs)


def _story(element: Any, part: Any, numbers: Numbering) -> str:
    """The text of a story apart from the body (a header, a footer, a note, a text box) kept
    in `part` (whose relationships name its diagrams' data): its paragraphs and tables line
    by line, each followed by the text boxes and SmartArt diagrams standing in it."""
    from docx.table import Table

    lines = []
    for block in _blocks(element, part):
        lines.append(
            _table(block, numbers) if isinstance(block, Table) else _text(block._p, numbers)
        )
        lines.extend(_story(box, part, numbers) for box in _text_boxes(block._element))
        lines.extend(_diagrams(block._element, part))
    return text_lines(lines)


def _notes(part: Any, numbers: Numbering) -> dict[tuple[str, str], str]:
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
            key = (qn(f"w:{kind}Reference"), note.get(qn("w:id")))
            notes[key] = _story(note, relation.target_part, numbers)
    return notes


def _headers_and_footers(document: Any, numbers: Numbering) -> Iterator[str]:
    """The text of each header and footer a DOCX defines (a section's own, its first page's,
    its even pages'), its paragraphs, tables and text boxes line by line."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    for relation in document.part.rels.values():
        if relation.reltype not in (RT.HEADER, RT.FOOTER) or relation.is_external:
            continue
        part = relation.target_part
        yield _story(part.element, part, numbers)


def _level(style: str) -> int | None:
    """A DOCX paragraph's heading level by its style: 0 for the title, None for no heading."""
    if style.startswith(("Title", "Titel")):
        return 0
    if not style.startswith(("Heading", "Überschrift")):
        return None
    found = re.search(r"(\d+)$", style)
    return int(found[1]) if found else 1


def _table(table: Any, numbers: Numbering) -> str:
    """One line per row; a cell merged across columns once, a table in a cell in its cell;
    also the rows and cells in content controls (`_without_row_controls`)."""
    from docx.table import Table

    _without_row_controls(table._tbl)
    rows = []
    for row in table.rows:
        texts, spanning = [], None
        for cell in row.cells:
            if cell._tc is spanning:  # python-docx gives a merged cell once per column
                continue
            spanning = cell._tc
            inner = (
                _table(b, numbers) if isinstance(b, Table) else _text(b._p, numbers)
                for b in _blocks(cell._tc, cell)
            )
            texts.append(" ".join(t.strip() for t in inner if t.strip()))
        rows.append(table_row(texts))
    return "\n".join(rows)


def _without_row_controls(table: Any) -> None:
    """A table's rows and cells out of the content controls around them (<w:sdt> in a
    <w:tbl> or <w:tr>: a form's repeating section, a field filling a cell), where python-docx
    sees them: it reads only a table's own rows and a row's own cells."""
    from docx.oxml.ns import qn

    while controls := table.xpath("./w:sdt | ./w:tr/w:sdt"):
        for control in controls:
            for content in control.iterchildren(qn("w:sdtContent")):
                for child in list(content):
                    control.addprevious(child)
            control.getparent().remove(control)
