"""A web page as a reader of it in a browser sees it (lxml): the text under its headings, a
line break at the edges of each block (a line end in the source a space); a table row by
row, its cells on one line ("Frist | 14 Tage": a row's meaning in one place); an image by its
description (its alt text), a word apart from the words beside it, once where its figure's
caption says the same; not the page's scripts, navigation, banner and foot."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gemeingut.apps.rag.passages import Outline, Passage, image_description, table_row, tidy

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Inline elements continue a line; every other element (p, div, li, td, br, …) starts one.
_INLINE = {
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font", "i",
    "ins", "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup",
    "time", "u", "var",
}  # fmt: skip
_SKIPPED = {"head", "script", "style", "nav", "noscript", "template"}
# A page's banner and its foot (the site's name, the imprint) are left out: a <header> or
# <footer> not inside one of these; inside one it is its article's (the title, the author).
_BANNERS = {"header", "footer"}
_SECTIONING = {"article", "aside", "main", "nav", "section"}
_CELLS = {"td", "th"}
_WHITESPACE = re.compile(r"[ \t\r\n\f]+")  # HTML's white space (not a no-break space)


def read_html(path: Path) -> Iterator[Passage]:
    from lxml import html

    data = path.read_bytes()
    try:  # UTF-8 when it decodes as such: lxml would take bytes without a charset as Latin-1
        root = html.fromstring(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        root = html.fromstring(data)  # the page's own <meta charset>
    outline = Outline(None if _shows_h1(root) else root.findtext(".//title"))
    parts: list[str] = []
    for piece in _flow(root):
        if isinstance(piece, _Heading):
            yield outline.passage(tidy("".join(parts)))
            yield outline.enter(piece.level, piece.text)
            parts = []
        else:
            parts.append(piece)
    yield outline.passage(tidy("".join(parts)))
    yield outline.end()


def fragment_text(content: str) -> str:
    """The text of HTML standing in another document (a <table> in Markdown) as a browser
    shows it (`_flow`): a table row by row, not its cells' words run together; a heading a
    line of its own; a comment nothing."""
    from lxml import html

    root = html.fragment_fromstring(content, create_parent="div")
    pieces = (p if isinstance(p, str) else f"\n{p.text}\n" for p in _flow(root))
    return tidy("".join(pieces))


def _shows_h1(root: Any) -> bool:
    """Whether a reader sees an <h1> on the page (not one in the navigation or the header)."""
    return any(not any(_left_out(a) for a in h1.iterancestors()) for h1 in root.iter("h1"))


def _left_out(element: Any) -> bool:
    """Whether an element is not the page's content: a script, the navigation, the page's
    banner or foot (as ARIA's roles banner and contentinfo tell them from an article's)."""
    if element.tag in _BANNERS:
        return not any(a.tag in _SECTIONING for a in element.iterancestors())
    return element.tag in _SKIPPED


@dataclass(frozen=True)
class _Heading:
    text: str
    level: int


def _flow(element: Any, preformatted: bool = False) -> Iterator[str | _Heading]:
    """The text of `element` in reading order, as a browser lays it out: a line break at the
    edges of each block, headings apart, a table's row on a line (`_row`); a line end in the
    page's source a space (`_spaced`), as a browser shows it, but in <pre>. Text straight in
    a <div> or <body> counts too."""
    if element.tag in _HEADINGS:
        yield _Heading(tidy(element.text_content()), int(element.tag[1]))
        return
    if element.tag == "img":
        yield _described(element)
        return
    if element.tag == "tr" and _is_data_row(element):
        yield f"\n{_row(element)}\n"
        return
    block = element.tag not in _INLINE
    inside = preformatted or element.tag == "pre"
    if block:
        yield "\n"
    yield _spaced(element.text, inside)
    for child in element:
        if isinstance(child.tag, str) and not _left_out(child):  # not a comment
            yield from _flow(child, inside)
        yield _spaced(child.tail, inside)
    if block:
        yield "\n"


def _spaced(text: str | None, preformatted: bool) -> str:
    """Text of the page's source as a browser shows it: its runs of whitespace, line ends
    too, one space ("Stadt\nMusterhausen", wrapped by an editor, is "Stadt Musterhausen");
    in <pre> as written."""
    return (text or "") if preformatted else _WHITESPACE.sub(" ", text or "")


def _described(image: Any) -> str:
    """An image as a reader of the page takes it in, a word apart from the words beside it:
    its description (alt), or nothing for a decorative one (alt="", or none) or one that its
    figure's caption says (`_captioned`)."""
    description = image_description([image.get("alt") or ""])
    return f" {description} " if description and not _captioned(image, description) else " "


def _captioned(image: Any, description: str) -> bool:
    """Whether an image's description is its figure's caption (<figcaption>), but for case
    and white space: a web editor fills the alt text in from the caption, and the page shows
    the caption, which is read; the alt text would repeat it in the chunk."""
    figure = next(image.iterancestors("figure"), None)
    if figure is None:
        return False
    said = " ".join(description.split()).casefold()
    captions = figure.iterchildren("figcaption")
    return any(" ".join(c.text_content().split()).casefold() == said for c in captions)


def _is_data_row(row: Any) -> bool:
    """Whether a table row holds data, not a page laid out in a table: no heading and no
    table inside it (a layout table's cells are read as the blocks they hold)."""
    return not any(inner.tag in _HEADINGS or inner.tag == "table" for inner in row.iter())


def _row(row: Any) -> str:
    """A table row as one line: each cell's text on one line, the cells apart (`table_row`)."""
    cells = (cell for cell in row if cell.tag in _CELLS)
    texts = ("".join(p for p in _flow(cell) if isinstance(p, str)) for cell in cells)
    return table_row(" ".join(text.split()) for text in texts)
