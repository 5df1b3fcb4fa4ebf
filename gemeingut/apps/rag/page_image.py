"""A page of a collection's PDF as a PNG, for the source viewer: the reader sees the page a
citation names as it is printed (tables, stamps, layout), beside the text it was read as, with
the cited passage marked on it.

A page is named as printed (`readers.printed_pages`: the sheet after two pages i and ii is
page 1, and those two are pages "i" and "ii"), as chunks and citations name it; it is drawn
from its sheet, its place in the file.

PDFium (`pypdfium2`) renders it from the collection's own copy of the document, 1000 pixels
wide and never more than `MAX_PIXELS` in all (a page 20 points wide and 14,400 high would
otherwise take gigabytes). PDFium is not thread-safe, not even for different documents, so one
lock admits one call at a time; a page takes tens of milliseconds.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from gemeingut.apps.rag import ocr
from gemeingut.apps.rag.readers import Page, same_page
from gemeingut.errors import InputError
from gemeingut.i18n import _

if TYPE_CHECKING:
    from gemeingut.apps.rag.ocr_cache import ScanCache

WIDTH = 1000  # pixels: sharp on a laptop, small enough to send at once
MAX_PIXELS = 4_000_000  # an A4 page at WIDTH is 1.4 million
_PDFIUM = threading.Lock()
T = TypeVar("T")


def is_pdf(path: Path) -> bool:
    return path.suffix.lower() == ".pdf"


def page_png(pdf: Path, page: Page, width: int = WIDTH, shown_as: str | None = None) -> bytes:
    """Page `page` (as printed) of `pdf`, `width` pixels wide (less for a very long page), as PNG
    bytes; an `InputError` for a document or page that cannot be drawn, naming the document
    `shown_as` (a collection's stored copy is named by its hash, which no reader knows)."""

    def draw(sheet: Any) -> bytes:
        points_wide, points_high = sheet.get_size()
        # 0.99: PDFium rounds each side up to whole pixels
        bounded = 0.99 * math.sqrt(MAX_PIXELS / (points_wide * points_high))
        scale = min(width / points_wide, bounded)
        image = sheet.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()

    return on_page(pdf, sheet_of(pdf, page, shown_as), draw, shown_as)


def sheet_of(pdf: Path, page: Page, shown_as: str | None = None) -> int:
    """The sheet (from 1) that page `page`, as printed (a number, or a label such as "iii"), is
    on; an `InputError` where no sheet is. A file pypdf cannot read goes by the sheets' places
    (PDFium says what is wrong)."""
    stat = pdf.stat() if pdf.is_file() else None
    numbers = _printed(str(pdf), stat.st_mtime_ns, stat.st_size) if stat else None
    if numbers is None:
        return page if isinstance(page, int) else 0  # a label names no sheet: PDFium says so
    for sheet, printed in enumerate(numbers, 1):
        if printed is not None and same_page(printed, page):
            return sheet
    name = shown_as or pdf.name
    named = [n for n in numbers if isinstance(n, int)]
    if numbers == tuple(range(1, len(numbers) + 1)) or not named:
        raise InputError(
            _(
                "{path} has no page {page} (it has {count})",
                path=name,
                page=page,
                count=len(numbers),
            )
        )
    raise InputError(
        _(
            "{path} has no page {page} (its pages are numbered {first} to {last})",
            path=name,
            page=page,
            first=min(named),
            last=max(named),
        )
    )


@lru_cache(maxsize=64)
def _printed(path: str, mtime_ns: int, size: int) -> tuple[Page | None, ...] | None:
    """The printed page numbers of a file as it is now (a changed file is read again)."""
    from gemeingut.apps.rag.readers import pdf_printed_pages

    numbers = pdf_printed_pages(Path(path))
    return tuple(numbers) if numbers is not None else None


def scanned_words(pdf: Path, sheet: int, scans: ScanCache | None = None) -> list[ocr.Word] | None:
    """Tesseract's words on sheet `sheet` (from 1) of `pdf` if it is a scan; None if it is not
    (it has a text layer, or no image). With `scans` (the collection's), a page read before by
    the same engine is not read again."""

    def read() -> list[ocr.Word] | None:
        image = on_page(pdf, sheet, ocr.scan_image)
        if image is None:
            return None
        return ocr.words(image, _("{path}, page {page}", path=pdf.name, page=sheet))

    return scans.words(pdf, sheet, read) if scans is not None else read()


def passage_boxes(
    pdf: Path, page: Page, passage: str, scans: ScanCache | None = None
) -> list[tuple[float, float, float, float]]:
    """Where `passage` stands on the page, one box per line it covers: (left, top, width,
    height) as fractions of the page, for marking it on the image. Whitespace and line breaks
    do not count in the match (the PDF's text layer breaks lines where the reader did not); a
    scanned page is read with Tesseract (`ocr.py`); no boxes when the page has no such text
    (text the reader saw differently); `scans`: the collection's readings of its scans."""
    wanted = " ".join(passage.split())
    if not wanted:
        return []
    try:
        sheet = sheet_of(pdf, page)
        scanned = scanned_words(pdf, sheet, scans)
        if scanned is not None:  # a scan: where Tesseract reads the passage
            return ocr.passage_boxes(scanned, passage)
    except InputError:  # the image says why; the marks are only an aid
        return []

    def find(sheet: Any) -> list[tuple[float, float, float, float]]:
        width, height = sheet.get_size()
        text = sheet.get_textpage()
        flat, where = _collapsed(text.get_text_range(0, text.count_chars()))
        start = flat.find(wanted)
        if start < 0:
            return []
        first, last = where[start], where[start + len(wanted) - 1]
        boxes = []
        for index in range(text.count_rects(first, last - first + 1)):
            left, bottom, right, top = text.get_rect(index)
            boxes.append(
                (left / width, 1 - top / height, (right - left) / width, (top - bottom) / height)
            )
        return boxes

    try:
        return on_page(pdf, sheet, find)
    except InputError:  # the image says why; the marks are only an aid
        return []


def on_page(pdf: Path, page: int, use: Callable[[Any], T], shown_as: str | None = None) -> T:
    """`use(sheet)` on sheet `page` (from 1: its place in the file, not its printed number) of
    `pdf`, under the one PDFium lock; an error names the document `shown_as` (default: the
    file's name)."""
    import pypdfium2 as pdfium

    name = shown_as or pdf.name
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(str(pdf))
        except (pdfium.PdfiumError, OSError) as exc:
            message = _("{path} cannot be read as a PDF: {error}", path=name, error=exc)
            raise InputError(message) from None
        try:
            if not 1 <= page <= len(document):
                raise InputError(
                    _(
                        "{path} has no page {page} (it has {count})",
                        path=name,
                        page=page,
                        count=len(document),
                    )
                )
            return use(document[page - 1])
        except pdfium.PdfiumError as exc:
            raise InputError(
                _(
                    "page {page} of {path} cannot be drawn: {error}",
                    page=page,
                    path=name,
                    error=exc,
                )
            ) from None
        finally:
            document.close()


def _collapsed(written: str) -> tuple[str, list[int]]:
    """`written` with every run of whitespace as one space, and for each of its characters the
    index of the character it came from."""
    flat: list[str] = []
    where: list[int] = []
    for index, char in enumerate(written):
        if char.isspace():
            if flat and flat[-1] != " ":
                flat.append(" ")
                where.append(index)
            continue
        flat.append(char)
        where.append(index)
    return "".join(flat), where
