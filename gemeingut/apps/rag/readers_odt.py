"""An ODT as a reader of it in Writer sees it (odfpy): headings, paragraphs, lists (a numbered
list's item with its number, `odt_lists.py`) and tables in document order, each footnote and
endnote after the paragraph that cites it (its mark gone: "erlaubt.¹Nach § 8" is no word a
search asks for) and each text box after the paragraph it stands in, a picture by its
description, then the text of the page styles' headers and footers, once each (the same
letterhead stands on every page); not a comment, nor a tracked deletion (kept apart in
<text:tracked-changes>, which is not read)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gemeingut.apps.rag.odt_lists import number_lists
from gemeingut.apps.rag.passages import (
    Outline,
    Passage,
    image_description,
    table_row,
    text_lines,
    words_apart,
)

# What a page style (<style:master-page> in styles.xml) shows on its pages around the text.
_PAGE_PARTS = ("header", "footer", "header-left", "footer-left", "header-first", "footer-first")


def read_odt(path: Path) -> Iterator[Passage]:
    from odf.opendocument import load

    document = load(str(path))
    number_lists(document)
    outline = Outline()
    for level, content in _blocks(document.text, _title_styles(document)):
        if level is None:
            yield outline.passage(content)
        else:
            yield outline.enter(level, content)
    yield outline.end()
    for lines in dict.fromkeys(_headers_and_footers(document)):
        yield Passage(lines, section=outline.title)


def _title_styles(document: Any) -> set[str]:
    """The paragraph styles of the document's title: Writer's "Title", and the automatic
    styles it makes from it for a title formatted by hand."""
    from odf.namespaces import STYLENS

    titles = {"Title"}
    for style in document.automaticstyles.childNodes:
        is_style = getattr(style, "qname", None) == (STYLENS, "style")
        if is_style and style.getAttrNS(STYLENS, "parent-style-name") == "Title":
            titles.add(style.getAttrNS(STYLENS, "name"))
    return titles


def _blocks(element: Any, titles: set[str]) -> Iterator[tuple[int | None, str]]:
    """(its heading level, or None for text; its text) for each heading, paragraph, list and
    table, in document order, also inside sections (which Writer makes for columns, protected
    or linked text), each followed by the notes it cites and the text boxes standing in it
    (`_asides_taken`), a text box anchored to the page as a block of its own. A paragraph in
    a title style is the heading of level 0."""
    from odf.namespaces import DRAWNS, TABLENS, TEXTNS

    for child in element.childNodes:
        qname = getattr(child, "qname", None)  # text between elements has none
        if qname in ((TEXTNS, "section"), (TEXTNS, "list-item"), (TEXTNS, "list-header")):
            yield from _blocks(child, titles)
            continue
        if qname == (TEXTNS, "tracked-changes"):  # deleted text, and notes in it: not shown
            continue
        asides = _asides_taken(child)
        if qname == (TEXTNS, "h"):
            level = child.getAttrNS(TEXTNS, "outline-level")
            yield int(level) if level and level.isdigit() else 1, _inline_text(child)
        elif qname == (TEXTNS, "p") and child.getAttrNS(TEXTNS, "style-name") in titles:
            yield 0, _inline_text(child)
        elif qname == (TEXTNS, "p"):
            yield None, _inline_text(child)
        elif qname == (TEXTNS, "list"):  # an item a line: not glued ("Punkt einsPunkt zwei")
            yield None, _text_of(child)
        elif qname == (TABLENS, "table"):
            yield None, "\n".join(_rows(child))
        elif qname == (DRAWNS, "frame"):  # a picture anchored to the page
            yield None, _described(child)
        for aside in asides:
            yield None, aside


def _asides_taken(element: Any) -> list[str]:
    """The text of each note (<text:note>) and text box (<draw:text-box>, in a frame) in
    `element`, in document order; they are taken out of it: a note's mark and text and a box's
    text are no part of the words around them ("erlaubt.1Nach § 8", "statt.Raum 204")."""
    from odf.namespaces import DRAWNS, TEXTNS

    asides = []
    for child in list(getattr(element, "childNodes", [])):  # text between has none
        qname = getattr(child, "qname", None)
        if qname == (TEXTNS, "note"):
            bodies = (
                c for c in child.childNodes if getattr(c, "qname", None) == (TEXTNS, "note-body")
            )
            asides.extend(_text_of(body) for body in bodies)
        elif qname == (DRAWNS, "text-box"):
            asides.append(_text_of(child))
        else:
            asides.extend(_asides_taken(child))
            continue
        element.removeChild(child)
    return asides


def _inline_text(element: Any) -> str:
    """A paragraph's or heading's text as Writer shows it: its spaces, tabs and line breaks,
    an image by its description (`_described`) a word apart from the words beside it; not a
    comment (<office:annotation>: its author, date and remark are no part of the text), nor
    a page's number as Writer last saved it (a footer's "Seite 3" is page 1 on the first
    page: read once, it would name one page for every page)."""
    return words_apart(_pieces(element))


def _pieces(element: Any) -> Iterator[tuple[str, bool]]:
    """(text, whether it is an image's description) of each piece of a paragraph, in order."""
    from odf.namespaces import DRAWNS, OFFICENS, TEXTNS

    for child in element.childNodes:
        qname = getattr(child, "qname", None)  # a text node has none
        if qname is None:
            yield child.data, False
        elif qname == (TEXTNS, "s"):
            yield " " * int(child.getAttrNS(TEXTNS, "c") or 1), False
        elif qname == (TEXTNS, "tab"):
            yield "\t", False
        elif qname == (TEXTNS, "line-break"):
            yield "\n", False
        elif qname == (DRAWNS, "frame"):  # its text box is read apart (`_asides_taken`)
            yield _described(child), True
        elif qname not in ((OFFICENS, "annotation"), (TEXTNS, "page-number")):
            yield from _pieces(child)


def _described(frame: Any) -> str:
    """An image's description as its frame holds it: its title and its description (in
    Writer's dialog "Description": svg:title, svg:desc), each once, not its name ("Bild1",
    `image_description`)."""
    from odf.namespaces import DRAWNS, SVGNS

    return image_description(
        (
            _inline_text(child)
            for child in frame.childNodes
            if getattr(child, "qname", None) in ((SVGNS, "title"), (SVGNS, "desc"))
        ),
        frame.getAttrNS(DRAWNS, "name") or "",
    )


def _text_of(element: Any) -> str:
    """The blocks of a note's body, a text box, a header or a footer as one text, a line each."""
    return text_lines(text for _level, text in _blocks(element, set()))


def _headers_and_footers(document: Any) -> Iterator[str]:
    """The text of each header and footer of the page styles (the first page's and the left
    pages' too) that is shown, line by line."""
    from odf.namespaces import STYLENS

    for page in document.masterstyles.childNodes:
        if getattr(page, "qname", None) != (STYLENS, "master-page"):
            continue
        for part in page.childNodes:
            if getattr(part, "qname", None) not in {(STYLENS, name) for name in _PAGE_PARTS}:
                continue
            if part.getAttrNS(STYLENS, "display") == "false":  # switched off, not printed
                continue
            yield _text_of(part)


def _rows(element: Any) -> Iterator[str]:
    """Each row of an ODT table as one line; the cells a merge covers hold nothing."""
    from odf.namespaces import TABLENS

    for child in element.childNodes:
        namespace, name = getattr(child, "qname", (None, None))  # text between has none
        if namespace != TABLENS:
            continue
        if name == "table-row":
            cells = [
                c for c in child.childNodes if getattr(c, "qname", None) == (TABLENS, "table-cell")
            ]
            yield table_row(" ".join(_inline_text(p) for p in c.childNodes) for c in cells)
        elif name in ("table-header-rows", "table-rows", "table-row-group"):
            yield from _rows(child)
