"""Documents as passages that know where they are: a PDF's page, a heading's section.

A citation can only be checked if the place it names is kept, so every reader returns
`Passage(text, page, section)`: PDF pages (pypdf; a scanned page through Tesseract), DOCX and
ODT paragraphs under their headings (python-docx, odfpy), HTML and Markdown under their
headings, text as one passage.
A file that cannot be read raises `InputError` naming the file and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gemeingut.errors import InputError
from gemeingut.i18n import _

_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_HTML_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_HTML_BLOCKS = {"p", "li", "td", "th", "pre", "blockquote", "dd", "dt"}
_HTML_SKIPPED = {"script", "style", "nav", "header", "footer", "noscript", "template"}


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
    return [p for p in passages if p.text.strip()]


def require_known_format(path: Path) -> Callable[[Path], Iterator[Passage]]:
    """The reader of `path`'s format, or an `InputError` naming the formats there are."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError(
            _(
                "{path}: cannot read files of type {suffix}",
                path=str(path),
                suffix=path.suffix or "(none)",
            ),
            _("supported: {formats}", formats=", ".join(sorted(READERS))),
        )
    return reader


def _pdf(path: Path) -> Iterator[Passage]:
    from pypdf import PdfReader

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

    section = None
    for paragraph in docx.Document(str(path)).paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style.startswith(("Heading", "Title", "Überschrift", "Titel")):
            section = paragraph.text.strip() or section
        else:
            yield Passage(paragraph.text, section=section)


def _odt(path: Path) -> Iterator[Passage]:
    from odf import teletype, text
    from odf.opendocument import load

    section = None
    document = load(str(path))
    for element in document.text.childNodes:
        if element.qname == (text.TEXTNS, "h"):
            section = teletype.extractText(element).strip() or section
        elif element.qname in ((text.TEXTNS, "p"), (text.TEXTNS, "list")):
            yield Passage(teletype.extractText(element), section=section)


def _html(path: Path) -> Iterator[Passage]:
    from lxml import html

    data = path.read_bytes()
    try:  # UTF-8 when it decodes as such: lxml would take bytes without a charset as Latin-1
        root = html.fromstring(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        root = html.fromstring(data)  # the page's own <meta charset>
    section, parts = None, []
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in _HTML_SKIPPED:
            continue
        if any(a.tag in _HTML_SKIPPED for a in element.iterancestors()):
            continue
        if element.tag in _HTML_HEADINGS:
            yield Passage("\n".join(parts), section=section)
            section, parts = _tidy(element.text_content()) or section, []
        elif element.tag in _HTML_BLOCKS and not any(
            a.tag in _HTML_BLOCKS for a in element.iterancestors()
        ):  # a block's text once, not again for each block inside it
            parts.append(_tidy(element.text_content()))
    yield Passage("\n".join(parts), section=section)


def _markdown(path: Path) -> Iterator[Passage]:
    section, lines = None, []
    for line in _text(path).splitlines():
        heading = _MARKDOWN_HEADING.match(line)
        if heading:
            yield Passage("\n".join(lines), section=section)
            section, lines = heading.group(2), []
        else:
            lines.append(line)
    yield Passage("\n".join(lines), section=section)


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
    """Whitespace as a reader sees it; a word a line end hyphenated is put together again
    ("Verwal-/tung"), a compound keeps its hyphen ("Bund-/Länder": a capital follows)."""
    text = re.sub(r"(\w)-\n([a-zäöüß])", r"\1\2", text)
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
