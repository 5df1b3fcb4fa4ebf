"""Documents as passages that know where they are: a PDF's page, a heading's section.

A citation can only be checked if the place it names is kept, so every reader returns
`Passage(text, page, section)` (`passages.py`): PDF pages (pypdf; a scanned page through
Tesseract) under the heading lines they show (`pdf_sections.py`), DOCX and ODT paragraphs under
their headings (python-docx, odfpy: `readers_docx.py`, `readers_odt.py`), HTML
(`readers_html.py`) and Markdown under their headings, text under the headings its lines show
(`text_headings.py`), each passage of a text file with the line it starts on (`line`): a chunk
is named by its lines where no heading names it. A PDF's page is the number printed on it (its
page labels: the sheet after two pages i and ii is page 1), as a reader cites it; a page
labelled otherwise (front matter "iii", an annex "A-1") is its label, so that it can be cited
and shown too (the source viewer draws it from its sheet, `page_image.sheet_of`). A passage's
section is its heading path, the document's title and every heading above it ("Satzung über die
Hundesteuer › § 2 Steuersatz"): a question names a document by its title, which no passage
under a subheading repeats; a PDF's is the heading line last above it, on its page or one
before (a PDF keeps no levels). The title is a DOCX's or ODT's title paragraph, or an HTML
page's <title> where the page has no <h1> (an <h1> is the title a reader sees; the <title>
often adds the site's name).
A text file that is not UTF-8 is read as UTF-16 (with a byte order mark) or as
Windows-1252, which administrations' older files are written in; `text_encoding` says which.
Markdown is read with its parser (markdown-it-py, with tables and footnotes) as a reader of the
rendered page sees it, not its syntax: emphasis and code marks gone, a link its text, a table
row by row, a footnote's text after the block that first cites it (not with whichever section
ends the file), its mark gone from the text: "Mittagessen¹" would be one word to a search.
Characters a reader never sees (soft hyphens, zero-width spaces) are taken out of every
format: left in, "Schul\u00adgelände" is not the word "Schulgelände" a question asks for.
The Latin ligatures (U+FB00–FB06: ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ) that Chromium's, Word's and LaTeX's PDFs store
for "ff", "fi", "fl", … are their letters in every format, text layer and OCR alike: "Pﬂicht" is
not the word "Pflicht" a question asks for. Only these: a full NFKC would change what a reader
means, too ("m²" would be "m2", "½" "1⁄2").
Control characters other than tab and line ends (a zero byte, a vertical tab) become a space:
left in, a chunk carries them into answers, `rag query` and the page; `read_counted` says how
many, for the ingest and the upload to tell whoever gave the file.
Tables are read row by row (cells apart by " | ", `passages.table_row`, in every format), and
text in a DOCX table, an ODT section or an HTML <div> as well as in paragraphs: what a reader
sees on the page is what is searched. So is a DOCX's or ODT's footnote and endnote (after the
paragraph citing it), its text boxes (after their paragraph; a DOCX's once, though Word
writes it twice), its headers and footers (once, at the end, without the page's number),
a DOCX's content control (not its placeholder), tracked insertion, field result (not its
code) and SmartArt text (after its paragraph, in the body, a header, a note or a text box); a
DOCX's and an ODT's numbered list item with its number as Word and Writer show it ("3.",
"a)", "2.1": `docx_lists.py`, `odt_lists.py`), which neither keeps as text and a citation
("Ziffer 3") names; an HTML article's own <header> and <footer>
(not the page's banner and foot); an image's description in every format (HTML's alt text,
once where its <figcaption> says the same; a DOCX's and an ODT's title and description,
`passages.words_apart`), a word apart, not
one that is only a file's name (`passages.image_description`); and a
heading with no text and no subsection under it, as a passage of its own words (`Outline`).
Not read: a tracked deletion, a comment. HTML in a Markdown file is read as HTML (a <table>
row by row). Documents saved by LibreOffice itself are read in the tests
(tests/apps/rag/office_files/). Lines above a rule of dashes
are a Markdown heading only where a reader would take them for one (`_is_heading`).
A file that cannot be read raises `InputError` naming the file and why.
"""

from __future__ import annotations

import codecs
import logging
import re
import threading
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from gemeingut.apps.rag.passages import (
    PATH_SEPARATOR,
    Outline,
    Page,
    Passage,
    image_description,
    table_row,
    tidy,
    words_apart,
)
from gemeingut.apps.rag.passages import (  # re-exported: cite.py takes it from here
    join_line_end_hyphens as join_line_end_hyphens,
)
from gemeingut.apps.rag.pdf_sections import pdf_passages
from gemeingut.apps.rag.readers_docx import read_docx
from gemeingut.apps.rag.readers_html import fragment_text, read_html
from gemeingut.apps.rag.readers_odt import read_odt
from gemeingut.apps.rag.text_headings import text_heading
from gemeingut.errors import InputError
from gemeingut.i18n import _, text

if TYPE_CHECKING:
    from gemeingut.apps.rag.ocr_cache import ScanCache

# Format characters that split a word for a search yet show nothing: soft hyphen, Mongolian
# vowel separator, zero-width space/joiners, direction marks and embeddings, word joiner and
# invisible operators, direction isolates, byte order mark.
_INVISIBLE = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Control characters (C0 and C1) but tab, line feed and carriage return (line ends).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The Latin ligatures as their letters (U+FB05 is the long s with t, NFKC's "st").
_LIGATURES = str.maketrans(
    {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"}
    | {"\ufb05": "st", "\ufb06": "st"}
)
_SOFT_BREAK = re.compile(r"\u00ad[ \t]*\r?\n[ \t]*")  # a word hyphenated softly at a line end
_SOFT_BREAK_KEPT = re.compile(r"\u00ad[ \t]*\r?\n[ \t]*(\S*)[ \t]*")  # and the rest of the word
_PAGE_NUMBER = re.compile(r"[0-9]{1,9}")  # a page label that is a page number
_LINE_BREAK = re.compile(r"<br\b", re.IGNORECASE)  # HTML's line break, in a Markdown paragraph
TEXT_SUFFIXES = {".txt", ".md", ".markdown"}  # read by `_text`: UTF-8 or another encoding
_TECHNICAL = 160  # characters of a parser's own error logged at most
log = logging.getLogger(__name__)


def read_document(path: Path, scans: ScanCache | None = None) -> list[Passage]:
    """The passages of one file, in reading order; empty ones are dropped. `scans`: the
    collection's readings of its scanned pages (`ocr_cache.py`)."""
    return read_counted(path, scans)[0]


def read_counted(path: Path, scans: ScanCache | None = None) -> tuple[list[Passage], int]:
    """The passages of one file (`read_document`) and how many control characters in it were
    read as spaces, for whoever gave the file to be told: a file with them may not be what it
    was meant to be. A heading is counted once, not once for every passage under it. `scans`
    keeps what Tesseract read on a PDF's scanned pages (`ocr_cache.py`)."""
    reader = require_known_format(path)
    try:
        passages = list(_pdf(path, scans) if reader is _pdf else reader(path))
    except InputError:
        raise
    except OSError as exc:
        raise InputError(
            _("{path}: cannot be read: {problem}", path=str(path), problem=exc.strerror or str(exc))
        ) from exc
    except Exception as exc:  # a parser's own error for a damaged file: name the file, go on
        # The parser's words (English, its own terms) help whoever debugs the parser, not
        # whoever gave the file or runs the server: a debug line of the log, never a warning
        # (the CLI prints warnings on stderr, a server logs them) beside the sender's words.
        problem = f"{type(exc).__name__}: {exc}"
        problem = problem if len(problem) <= _TECHNICAL else problem[: _TECHNICAL - 1] + "…"
        kind = path.suffix[1:].upper()
        logged = _(
            "{path}: not read as {kind}: {problem}", path=str(path), kind=kind, problem=problem
        )
        log.debug("%s", text(logged))
        raise InputError(
            _("{path}: the file is damaged or not a {kind} file", path=str(path), kind=kind),
            _("open and save it again, or leave it out"),
        ) from exc
    visible = (_visible(p) for p in passages)
    return [p for p in visible if p.text.strip()], _controls_in(path, passages)


def _controls_in(path: Path, passages: list[Passage]) -> int:
    """The control characters of a file as read: a text file's before it was parsed (`_text`
    made them spaces already), another's in its passages' text and headings."""
    if path.suffix.lower() in TEXT_SUFFIXES:
        return len(_CONTROL.findall(_decoded(path, path.read_bytes())[0]))
    headings = {h for p in passages if p.section for h in p.section.split(PATH_SEPARATOR)}
    # a heading alone (`Outline.end`) is counted as the heading it is, not again as text
    texts = [p.text for p in passages if p.text != (p.section or "").split(PATH_SEPARATOR)[-1]]
    return sum(len(_CONTROL.findall(t)) for t in texts) + sum(
        len(_CONTROL.findall(h)) for h in headings
    )


def without_invisible(text: str, keep_lines: bool = False) -> str:
    """`text` without the characters no reader sees, a soft hyphen at a line end joining its
    word; with `keep_lines` the line end follows the joined word ("Verwal-/tung ist" becomes
    "Verwaltung/ist"), so that every line of the text is still the file's line it was."""
    if keep_lines:
        return _INVISIBLE.sub("", _SOFT_BREAK_KEPT.sub(r"\1\n", text))
    return _INVISIBLE.sub("", _SOFT_BREAK.sub("", text))


def without_ligatures(text: str) -> str:
    """`text` with each Latin ligature (ﬁ, ﬂ, …) as the letters it joins: a search, a quote
    and a mark on the page compare letters."""
    return text.translate(_LIGATURES)


def _visible(passage: Passage) -> Passage:
    section = passage.section and without_invisible(_CONTROL.sub(" ", passage.section))
    section = section and without_ligatures(section)
    text = without_invisible(_CONTROL.sub(" ", passage.text), keep_lines=passage.line is not None)
    text = without_ligatures(text)
    return Passage(text, passage.page, section, passage.line)


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


def _pdf(path: Path, scans: ScanCache | None = None) -> Iterator[Passage]:
    from pypdf import PdfReader

    with _PYPDF_QUIET:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise InputError(
                _("{path}: the PDF is encrypted", path=str(path)), _("save an unencrypted copy")
            )
        numbers = printed_pages(reader)
        pages: list[tuple[Page | None, str]] = []
        for sheet, (page, number) in enumerate(zip(reader.pages, numbers, strict=True), 1):
            text = page.extract_text() or ""
            scanned = "" if text.strip() else _scanned(path, sheet, scans)
            pages.append((number, tidy(scanned or text)))
    yield from pdf_passages(pages)


def printed_pages(reader: Any) -> list[Page | None]:
    """The page printed on each sheet of a PDF (a pypdf reader), from its page labels: its
    number, or its label where that is no number ("ii", "A-1"); None for a sheet without a
    label. Labels that name one page twice ("i" in the front matter and "I" in an annex are
    one to a reader) tell no page apart: then each sheet's place in the file (from 1)."""
    count = len(reader.pages)
    places: list[Page | None] = list(range(1, count + 1))
    try:
        labels = reader.page_labels
    except Exception:  # a damaged label tree: the labels say nothing
        return places
    pages = [_printed(" ".join(str(label).split())) for label in labels]
    named = [str(p).casefold() for p in pages if p is not None]
    if len(pages) != count or not named or len(set(named)) < len(named):
        return places
    return pages


def _printed(label: str) -> Page | None:
    """A page label as a page: a positive number as the number, any other label as written."""
    if _PAGE_NUMBER.fullmatch(label):
        return int(label) if int(label) > 0 else None
    return label or None


def same_page(page: Page, other: Page) -> bool:
    """Whether two pages are one: "iii" is "III" (a label as a person types it)."""
    if isinstance(page, int) or isinstance(other, int):
        return page == other
    return page.casefold() == other.casefold()


def pdf_printed_pages(path: Path) -> list[Page | None] | None:
    """`printed_pages` of the PDF at `path`, or None where pypdf cannot read it."""
    from pypdf import PdfReader

    with _PYPDF_QUIET:
        try:
            return printed_pages(PdfReader(path))
        except Exception:  # a damaged file: the caller goes on by the sheets' places
            return None


def _scanned(path: Path, sheet: int, scans: ScanCache | None) -> str:
    """A sheet without text: what Tesseract reads on it if it is a scan (else nothing)."""
    from gemeingut.apps.rag.ocr import page_text
    from gemeingut.apps.rag.page_image import scanned_words

    found = scanned_words(path, sheet, scans)
    return page_text(found) if found is not None else ""


def _markdown(path: Path) -> Iterator[Passage]:
    tokens = _markdown_parser().parse(_text(path))
    notes = _cited_footnotes(tokens)
    placed = set(notes)  # after the block that first cites them, not where they stand
    outline = Outline()
    blocks: list[str] = []  # the text of the section being read
    hashed = False  # whether a heading of level 1 or 2 was written with "#" so far
    for block in _top_level_blocks(tokens):
        first = block[0]
        cited: list[str] = []
        if _is_heading(block, hashed):
            heading = _inline_text(block[1], cited)
            yield outline.passage("\n\n".join(b for b in blocks if b.strip()))
            yield outline.enter(int(first.tag[1:]), heading)
            blocks = []
            hashed = hashed or first.markup in {"#", "##"}
        elif first.type == "footnote_reference_open":
            if first.meta["label"] in placed:
                continue
            blocks.append(_block_text(block[1:-1], cited, "\n\n"))
        else:
            blocks.append(_block_text(block, cited, _block_separator(first.type)))
        for label in cited:  # a footnote's text after the block that first cites it
            blocks.append(notes.pop(label, ""))
    yield outline.passage("\n\n".join(b for b in blocks if b.strip()))
    yield outline.end()


def _is_heading(block: list[Any], hashed: bool) -> bool:
    """Whether a block is a heading. Lines above a rule of dashes or equals signs (a setext
    heading to CommonMark) are a paragraph where they are several lines, which no author
    means as a heading, or where the document wrote its headings of level 1 or 2 with "#"
    before (`hashed`): then the rule is a line drawn under a line, as in the federal laws'
    forms and tables ("Herr/Frau ...... ist in der Zeit vom", "I Name, Vorname I"). As
    headings of level 1 or 2 their words were in no chunk's text, and they closed the
    "### Anlage 5" they stand in and named every chunk after them. A document whose first
    headings are setext ones (as pandoc writes them) keeps them."""
    first = block[0]
    if first.type != "heading_open" or first.markup not in {"-", "="}:
        return first.type == "heading_open"
    return not hashed and "\n" not in block[1].content


@cache
def _markdown_parser() -> Any:
    """CommonMark with tables and strikethrough (as GitHub writes them) and footnotes, whose
    definitions stay where they stand (`_markdown` places them)."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    return parser.use(footnote_plugin, inline=False, move_to_end=False)


def _top_level_blocks(tokens: list[Any]) -> Iterator[list[Any]]:
    """The tokens of each outermost block: from its opening token to the one closing it."""
    depth, block = 0, []
    for token in tokens:
        block.append(token)
        depth += token.nesting
        if depth == 0:
            yield block
            block = []


def _cited_footnotes(tokens: list[Any]) -> dict[str, str]:
    """The text of each footnote cited outside the footnotes, by its label."""
    texts: dict[str, str] = {}
    cited: list[str] = []
    for block in _top_level_blocks(tokens):
        if block[0].type == "footnote_reference_open":
            texts[block[0].meta["label"]] = _block_text(block[1:-1], [], "\n\n")
        else:
            _block_text(block, cited, "")
    return {label: texts[label] for label in dict.fromkeys(cited) if label in texts}


def _block_separator(kind: str) -> str:
    """Between the lines of a block: a table's rows and a list's items each on a line, a
    quote's paragraphs apart."""
    return "\n" if kind in {"table_open", "bullet_list_open", "ordered_list_open"} else "\n\n"


def _block_text(tokens: list[Any], cited: list[str], separator: str) -> str:
    """A block as a reader sees it: a table row by row (cells apart by " | ", no |---| line),
    a list item with its number, code without its fence, HTML as a browser shows it (a table
    row by row, `readers_html.fragment_text`); the labels of the footnotes it cites added to
    `cited`."""
    lines: list[str] = []
    row: list[str] | None = None
    number = ""
    for token in tokens:
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            lines.append(table_row(row))
            row = None
        elif token.type == "list_item_open":
            number = f"{token.info}{token.markup} " if token.info else ""  # ordered lists only
        elif token.type == "inline":
            text = _inline_text(token, cited)
            if row is not None:
                row.append(" ".join(text.split()))
            else:
                lines.append(number + text)
                number = ""
        elif token.type in {"fence", "code_block"}:
            lines.append(token.content.rstrip("\n"))
        elif token.type == "html_block":
            lines.append(fragment_text(token.content))
    return separator.join(line for line in lines if line.strip())


def _inline_text(token: Any, cited: list[str]) -> str:
    """A paragraph's or heading's text without its markup (emphasis, code marks, a link's
    target, HTML tags): a link is its text, an image its description, a word apart from the
    text right beside the picture ("![Plan](plan.gif)ändert" is not one word), a <br> a line
    end, a footnote reference gone from the text (its label added to `cited`)."""
    pieces = []
    for child in token.children or []:
        if child.type == "image":  # its description
            pieces.append((image_description([child.content]), True))
        elif child.type in {"text", "text_special", "code_inline"}:
            pieces.append((child.content, False))
        elif child.type in {"softbreak", "hardbreak"} or (
            child.type == "html_inline" and _LINE_BREAK.match(child.content)
        ):
            pieces.append(("\n", False))
        elif child.type == "footnote_ref":
            cited.append(child.meta["label"])
    return words_apart(pieces)


def _plain(path: Path) -> Iterator[Passage]:
    """A text file's lines under the headings they show (`text_headings`), each passage with
    the line it starts on; the heading lines are its sections, as in Markdown."""
    outline = Outline()
    lines = _text(path).split("\n")  # a line as an editor numbers it: up to its "\n"
    start, previous = 0, ""
    for number, line in enumerate(lines):
        heading = text_heading(line.rstrip("\r"), previous)
        if heading is not None:
            yield _lines_passage(lines[start:number], outline, start + 1)
            yield outline.enter(*heading, line=number + 1)
            start = number + 1
        previous = "" if heading is not None else line  # a heading starts a new block
    yield _lines_passage(lines[start:], outline, start + 1)
    yield outline.end()


def _lines_passage(lines: list[str], outline: Outline, first: int) -> Passage:
    """`lines` from the file's line `first` on, without the empty lines around them."""
    kept = [line.rstrip("\r") for line in lines]
    empty = next((i for i, line in enumerate(kept) if line.strip()), len(kept))
    return outline.passage("\n".join(kept[empty:]).rstrip(), first + empty)


def _text(path: Path) -> str:
    """A text or Markdown file's text, its control characters spaces before it is parsed (the
    Markdown parser would make a zero byte U+FFFD)."""
    return _CONTROL.sub(" ", _decoded(path, path.read_bytes())[0])


def text_encoding(path: Path) -> str | None:
    """The encoding a text or Markdown file was read in where it is not UTF-8 ("UTF-16",
    "Windows-1252"), for the ingest to say so: a file in another encoding still read as
    Windows-1252 would show wrong characters. None for UTF-8, other formats and unreadable
    files."""
    if path.suffix.lower() not in TEXT_SUFFIXES:
        return None
    try:
        return _decoded(path, path.read_bytes())[1]
    except (OSError, InputError):
        return None


def _decoded(path: Path, data: bytes) -> tuple[str, str | None]:
    """The text of a text file and its encoding where it is not UTF-8: UTF-16 with a byte
    order mark, else UTF-8, else Windows-1252 (which holds Latin-1's letters, and € „ “ –)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise InputError(
                _("{path}: not UTF-16 as its byte order mark says", path=str(path)),
                _("save the file as UTF-8"),
            ) from exc
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:  # of the encodings of text, only UTF-16 and UTF-32 write zero bytes
        raise InputError(
            _("{path}: not a text file (it holds zero bytes)", path=str(path)),
            _("save the file as UTF-8 text, or leave it out"),
        )
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as exc:
        raise InputError(
            _(
                "{path}: neither UTF-8 nor Windows-1252 (byte {byte})",
                path=str(path),
                byte=str(exc.start),
            ),
            _("save the file as UTF-8"),
        ) from exc


READERS: dict[str, Callable[[Path], Iterator[Passage]]] = {
    ".pdf": _pdf,
    ".docx": read_docx,
    ".odt": read_odt,
    ".html": read_html,
    ".htm": read_html,
    ".md": _markdown,
    ".markdown": _markdown,
    ".txt": _plain,
}
