"""A page of a collection's PDF as a PNG, for the source viewer: the reader sees the page a
citation names as it is printed (tables, stamps, layout), beside the text it was read as.

PDFium (`pypdfium2`) renders it from the collection's own copy of the document. The width is
bounded, so a page of any paper size costs the same few hundred kilobytes and milliseconds.
"""

from __future__ import annotations

import io
from pathlib import Path

from gemeingut.errors import InputError
from gemeingut.i18n import _

WIDTH = 1000  # pixels: sharp on a laptop, small enough to send at once


def is_pdf(path: Path) -> bool:
    return path.suffix.lower() == ".pdf"


def page_png(pdf: Path, page: int, width: int = WIDTH) -> bytes:
    """Page `page` (from 1) of `pdf`, `width` pixels wide, as PNG bytes."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(pdf))
    except pdfium.PdfiumError as exc:
        message = _("{path} cannot be read as a PDF: {error}", path=pdf.name, error=exc)
        raise InputError(message) from None
    try:
        if not 1 <= page <= len(document):
            raise InputError(
                _(
                    "{path} has no page {page} (it has {count})",
                    path=pdf.name,
                    page=page,
                    count=len(document),
                )
            )
        sheet = document[page - 1]
        points_wide, _points_high = sheet.get_size()
        image = sheet.render(scale=width / points_wide).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
    finally:
        document.close()


def passage_boxes(pdf: Path, page: int, passage: str) -> list[tuple[float, float, float, float]]:
    """Where `passage` stands on the page, one box per line it covers: (left, top, width,
    height) as fractions of the page, for marking it on the image. Whitespace and line breaks
    do not count in the match (the PDF's text layer breaks lines where the reader did not);
    no boxes when the page has no such text (a scan, or text the reader saw differently)."""
    import pypdfium2 as pdfium

    wanted = " ".join(passage.split())
    if not wanted:
        return []
    try:
        document = pdfium.PdfDocument(str(pdf))
    except pdfium.PdfiumError:
        return []
    try:
        if not 1 <= page <= len(document):
            return []
        sheet = document[page - 1]
        width, height = sheet.get_size()
        text = sheet.get_textpage()
        written = text.get_text_range(0, text.count_chars())
        flat, where = _collapsed(written)
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
