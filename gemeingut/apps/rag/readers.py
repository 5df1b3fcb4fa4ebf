"""Documents as passages that know where they are: a PDF's page, a heading's section.

A citation can only be checked if the place it names is kept, so every reader returns
`Passage(text, page, section)`: PDF pages (pypdf; a scanned page through Tesseract), DOCX and
ODT paragraphs under their headings (python-docx, odfpy), HTML and Markdown under their
headings, text as one passage. A Markdown footnote's definition goes with the section that
first cites it, not with whichever section ends the file.
Characters a reader never sees (soft hyphens, zero-width spaces) are taken out of every
format: left in, "Schul\u00adgelände" is not the word "Schulgelände" a question asks for.
Tables are read row by row (cells apart by " | "), and text in a DOCX table, an ODT section
or an HTML <div> as well as in paragraphs: what a reader sees on the page is what is searched.
A file that cannot be read raises `InputError` naming the file and why.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from gemeingut.errors import InputError
from gemeingut.i18n import _

_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_HTML_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Inline elements continue a line; every other element (p, div, li, td, br, …) starts one.
_HTML_INLINE = {
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font", "i",
    "ins", "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup",
    "time", "u", "var",
}  # fmt: skip
_HTML_SKIPPED = {
    "head", "script", "style", "nav", "header", "footer", "noscript", "template",
}  # fmt: skip
_CELL = " | "  # between the cells of a table row
# Format characters that split a word for a search yet show nothing: soft hyphen, Mongolian
# vowel separator, zero-width space/joiners, direction marks and embeddings, word joiner and
# invisible operators, direction isolates, byte order mark.
_INVISIBLE = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_SOFT_BREAK = re.compile(r"\u00ad[ \t]*\r?\n[ \t]*")  # a word hyphenated softly at a line end
# A line that ends in a hyphen before one of these words is a suspended compound
# ("Straßen-/und Wegebau"), not a word hyphenated at the line end ("Verwal-/tung").
_LINE_END_HYPHEN = re.compile(
    r"(\w)-[ \t]*\r?\n[ \t]*(?:"
    r"(?P<conjunction>(?:und|oder|bzw\.|beziehungsweise|sowie|als|noch|wie|bis|and|or|nor)(?!\w))"
    r"|(?=[a-zäöüß]))"
)
_FOOTNOTE = re.compile(r"^\[\^([^\]\s]+)\]:")  # a Markdown footnote's definition
# A Markdown code fence (CommonMark): ``` or ~~~, at most three spaces in; the block ends at a
# fence of the same character at least as long, with nothing after it.
_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}(?!.*`)|~{3,})")


@dataclass(frozen=True)
class Passage:
    text: str
    page: int | None = None  # 1-based, for paged formats (PDF)
    section: str | None = None  # the nearest heading above the text


def read_document(path: Path) -> list[Passage]:
    """The passages of one file, in reading order; empty ones are dropped."""
    reader = require_known_format(path)
    try:
        passages = list(reader(path))
    except InputError:
        raise
    except OSError as exc:
        raise InputError(
            _("{path}: cannot be read: {problem}", path=str(path), problem=exc.strerror or str(exc))
        ) from exc
    except Exception as exc:  # a parser's own error for a damaged file: name the file, go on
        raise InputError(
            _(
                "{path}: not a readable {kind} file ({problem})",
                path=str(path),
                kind=path.suffix[1:].upper(),
                problem=f"{type(exc).__name__}: {exc}",
            ),
            _("open and save it again, or leave it out"),
        ) from exc
    visible = (_visible(p) for p in passages)
    return [p for p in visible if p.text.strip()]


def without_invisible(text: str) -> str:
    """`text` without the characters no reader sees, a soft hyphen at a line end joining its
    word."""
    return _INVISIBLE.sub("", _SOFT_BREAK.sub("", text))


def join_line_end_hyphens(text: str) -> str:
    """A word a line end hyphenated put together again ("Verwal-/tung"); a compound keeps its
    hyphen ("Bund-/Länder": a capital follows), a suspended one its hyphen and space
    ("Straßen-/und Wegebau")."""
    return _LINE_END_HYPHEN.sub(
        lambda m: f"{m[1]}- {m['conjunction']}" if m["conjunction"] else m[1], text
    )


def _visible(passage: Passage) -> Passage:
    section = without_invisible(passage.section) if passage.section else passage.section
    return Passage(without_invisible(passage.text), passage.page, section)


def require_known_format(path: Path) -> Callable[[Path], Iterator[Passage]]:
    """The reader of `path`'s format, or an `InputError` naming the formats there are."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        supported = _("supported: {formats}", formats=", ".join(sorted(READERS)))
        if not path.suffix:
            raise InputError(
                _("{path}: cannot read files without a suffix", path=str(path)), supported
            )
        raise InputError(
            _("{path}: cannot read files of type {suffix}", path=str(path), suffix=path.suffix),
            supported,
        )
    return reader


class _Silenced:
    """A logger kept quiet while any thread reads with it; its own level is back when the last
    one is done. pypdf logs warnings in English to stderr ("EOF marker not found") for a
    damaged file whose error the reader already reports in the user's language."""

    def __init__(self, name: str) -> None:
        self.logger = logging.getLogger(name)
        self.lock = threading.Lock()
        self.readers = 0
        self.level = logging.NOTSET

    def __enter__(self) -> None:
        with self.lock:
            if self.readers == 0:
                self.level = self.logger.level
                self.logger.setLevel(logging.CRITICAL + 1)
            self.readers += 1

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self.lock:
            self.readers -= 1
            if self.readers == 0:
                self.logger.setLevel(self.level)


_PYPDF_QUIET = _Silenced("pypdf")


def _pdf(path: Path) -> Iterator[Passage]:
    from pypdf import PdfReader

    with _PYPDF_QUIET:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise InputError(
                _("{path}: the PDF is encrypted", path=str(path)), _("save an unencrypted copy")
            )
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            yield Passage(_tidy(text if text.strip() else _scanned(path, number)), page=number)


def _scanned(path: Path, number: int) -> str:
    """A page without text: what Tesseract reads on it if it is a scan (else nothing)."""
    from gemeingut.apps.rag.ocr import page_text
    from gemeingut.apps.rag.page_image import scanned_words

    found = scanned_words(path, number)
    return page_text(found) if found is not None else ""


def _docx(path: Path) -> Iterator[Passage]:
    import docx
    from docx.table import Table

    section = None
    for block in docx.Document(str(path)).iter_inner_content():  # paragraphs and tables
        if isinstance(block, Table):
            yield Passage(_docx_table(block), section=section)
            continue
        style = (block.style.name if block.style is not None else "") or ""
        if style.startswith(("Heading", "Title", "Überschrift", "Titel")):
            section = block.text.strip() or section
        else:
            yield Passage(block.text, section=section)


def _docx_table(table: Any) -> str:
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
                _docx_table(b) if isinstance(b, Table) else b.text
                for b in cell.iter_inner_content()
            )
            texts.append(" ".join(t.strip() for t in inner if t.strip()))
        rows.append(_CELL.join(t for t in texts if t))
    return "\n".join(rows)


def _odt(path: Path) -> Iterator[Passage]:
    from odf.opendocument import load

    section = None
    for heading, content in _odt_blocks(load(str(path)).text):
        if heading:
            section = content.strip() or section
        else:
            yield Passage(content, section=section)


def _odt_blocks(element: Any) -> Iterator[tuple[bool, str]]:
    """(is it a heading, its text) for each heading, paragraph, list and table, in document
    order, also inside sections (which Writer makes for columns, protected or linked text)."""
    from odf import teletype
    from odf.namespaces import TABLENS, TEXTNS

    for child in element.childNodes:
        qname = getattr(child, "qname", None)  # text between elements has none
        if qname == (TEXTNS, "h"):
            yield True, teletype.extractText(child)
        elif qname in ((TEXTNS, "p"), (TEXTNS, "list")):
            yield False, teletype.extractText(child)
        elif qname == (TEXTNS, "section"):
            yield from _odt_blocks(child)
        elif qname == (TABLENS, "table"):
            yield False, "\n".join(_odt_rows(child))


def _odt_rows(element: Any) -> Iterator[str]:
    """Each row of an ODT table as one line; the cells a merge covers hold nothing."""
    from odf import teletype
    from odf.namespaces import TABLENS

    for child in element.childNodes:
        namespace, name = getattr(child, "qname", (None, None))  # text between has none
        if namespace != TABLENS:
            continue
        if name == "table-row":
            cells = [
                c for c in child.childNodes if getattr(c, "qname", None) == (TABLENS, "table-cell")
            ]
            texts = (" ".join(teletype.extractText(p) for p in c.childNodes) for c in cells)
            yield _CELL.join(t.strip() for t in texts if t.strip())
        elif name in ("table-header-rows", "table-rows", "table-row-group"):
            yield from _odt_rows(child)


def _html(path: Path) -> Iterator[Passage]:
    from lxml import html

    data = path.read_bytes()
    try:  # UTF-8 when it decodes as such: lxml would take bytes without a charset as Latin-1
        root = html.fromstring(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        root = html.fromstring(data)  # the page's own <meta charset>
    section, parts = None, []
    for piece in _html_flow(root):
        if isinstance(piece, _Heading):
            yield Passage(_tidy("".join(parts)), section=section)
            section, parts = piece.text or section, []
        else:
            parts.append(piece)
    yield Passage(_tidy("".join(parts)), section=section)


@dataclass(frozen=True)
class _Heading:
    text: str


def _html_flow(element: Any) -> Iterator[str | _Heading]:
    """The text of `element` in reading order, as a browser lays it out: a line break at the
    edges of each block, headings apart. Text straight in a <div> or <body> counts too."""
    if element.tag in _HTML_HEADINGS:
        yield _Heading(_tidy(element.text_content()))
        return
    block = element.tag not in _HTML_INLINE
    if block:
        yield "\n"
    yield element.text or ""
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _HTML_SKIPPED:  # not a comment
            yield from _html_flow(child)
        yield child.tail or ""
    if block:
        yield "\n"


def _markdown(path: Path) -> Iterator[Passage]:
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    notes: list[_Footnote] = []
    note: _Footnote | None = None
    fence: str | None = None  # the fence of the code block the line is in
    for line in _text(path).splitlines():
        fence = _fence_after(line, fence)
        code = fence is not None or _FENCE.match(line) is not None  # fence lines too
        heading = None if code else _MARKDOWN_HEADING.match(line)
        definition = None if code else _FOOTNOTE.match(line)
        if heading:
            sections.append((heading.group(2), []))
            note = None
        elif definition:
            note = _Footnote(definition.group(1), [line], len(sections) - 1)
            notes.append(note)
        elif note is not None and not code and _continues(note, line):
            note.lines.append(line)
        else:
            sections[-1][1].append(line)
            note = None
    for footnote in notes:
        lines = sections[_citing_section(footnote, sections)][1]
        while lines and not lines[-1].strip():
            lines.pop()
        lines.extend(["", *footnote.lines])
    for section, lines in sections:
        yield Passage("\n".join(lines), section=section)


def _fence_after(line: str, fence: str | None) -> str | None:
    """The fence whose code block holds the lines after `line`: a `# comment` in it is code,
    not a heading."""
    found = _FENCE.match(line)
    if fence is None:
        return found["fence"] if found else None
    closing = found is not None and found["fence"][0] == fence[0]
    if closing and len(found["fence"]) >= len(fence) and not line[found.end() :].strip():
        return None
    return fence


@dataclass
class _Footnote:
    label: str
    lines: list[str]
    written_in: int  # the section it stands in


def _continues(note: _Footnote, line: str) -> bool:
    """Whether `line` is still the footnote's: an indented line, a blank one, or text straight
    after its text (a paragraph goes on)."""
    return not line.strip() or line.startswith(("    ", "\t")) or bool(note.lines[-1].strip())


def _citing_section(note: _Footnote, sections: list[tuple[str | None, list[str]]]) -> int:
    """The section that first cites the footnote; where none does, where it is written."""
    reference = f"[^{note.label}]"
    for number, (_section, lines) in enumerate(sections):
        if any(reference in line for line in lines):
            return number
    return note.written_in


def _plain(path: Path) -> Iterator[Passage]:
    yield Passage(_text(path))


def _text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            _("{path}: not UTF-8 (byte {byte})", path=str(path), byte=str(exc.start)),
            _("save the file as UTF-8"),
        ) from exc


def _tidy(text: str) -> str:
    """Whitespace as a reader sees it, words hyphenated at a line end joined."""
    text = join_line_end_hyphens(text)
    return re.sub(r"[ \t\r\f\v]+", " ", re.sub(r"\s*\n\s*", "\n", text)).strip()


READERS: dict[str, Callable[[Path], Iterator[Passage]]] = {
    ".pdf": _pdf,
    ".docx": _docx,
    ".odt": _odt,
    ".html": _html,
    ".htm": _html,
    ".md": _markdown,
    ".markdown": _markdown,
    ".txt": _plain,
}
