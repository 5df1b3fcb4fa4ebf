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
