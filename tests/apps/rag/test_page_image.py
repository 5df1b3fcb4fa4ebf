"""A PDF page as an image: bounded in size whatever the page's shape; a damaged, missing or
non-PDF file and a missing page are clear errors; the passage's boxes stand where its text is."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from gemeingut.apps.rag.page_image import MAX_PIXELS, page_png, passage_boxes
from gemeingut.errors import InputError
from tests.apps.rag.documents import (
    LABELLED,
    PAGES,
    write_labelled_pdf,
    write_pdf,
    write_scanned_pdf,
)


def test_a_very_long_page_is_drawn_within_the_pixel_bound(tmp_path: Path) -> None:
    from fpdf import FPDF

    strip = FPDF(unit="pt", format=(20, 14_400))
    strip.add_page()
    strip.output(str(tmp_path / "strip.pdf"))
    width, height = Image.open(BytesIO(page_png(tmp_path / "strip.pdf", 1))).size
    assert width * height <= MAX_PIXELS and height > 10 * width


@pytest.mark.parametrize(
    ("name", "content", "page", "message"),
    [
        ("kaputt.pdf", b"%PDF-1.4 kaputt", 1, "lässt sich nicht als PDF lesen"),
        ("fehlt.pdf", None, 1, "lässt sich nicht als PDF lesen"),
        ("leitfaden.pdf", "pdf", 9, r"hat keine Seite 9 \(es hat 3\)"),
    ],
)
def test_what_cannot_be_drawn_is_a_clear_error(
    tmp_path: Path, name: str, content, page: int, message: str
) -> None:
    path = tmp_path / name
    if content == "pdf":
        write_pdf(path)
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        page_png(path, page)
    assert passage_boxes(path, page, PAGES[0]) == []  # no marks, and no error either


def test_the_passage_is_found_across_the_pdfs_line_breaks(tmp_path: Path) -> None:
    sentence = "Die Frist für den Eingang der Angebote beträgt mindestens dreißig Tage. " * 3
    pdf = write_pdf(tmp_path / "lang.pdf", [sentence])
    boxes = passage_boxes(pdf, 1, " ".join(sentence.split()[8:30]))  # over two lines
    assert len(boxes) == 2 and all(0 <= v <= 1 for box in boxes for v in box)
    assert boxes[1][1] > boxes[0][1]  # the second line below the first
    assert passage_boxes(pdf, 1, "steht nicht auf der Seite") == []


def test_the_passage_is_marked_on_a_scanned_page(tmp_path: Path) -> None:
    scan = write_scanned_pdf(tmp_path / "scan.pdf")
    [box] = passage_boxes(scan, 2, "Eingang der Angebote")
    text = write_pdf(tmp_path / "text.pdf")
    [where] = passage_boxes(text, 2, "Eingang der Angebote")  # the same words in a text layer
    assert all(abs(a - b) < 0.02 for a, b in zip(box, where, strict=True))
    assert passage_boxes(scan, 2, "steht nicht auf der Seite") == []


def test_a_missing_page_names_the_document_as_the_reader_knows_it(tmp_path: Path) -> None:
    stored = write_pdf(tmp_path / "9de24d1d51ca7f00.pdf")  # a collection's copy: its hash
    with pytest.raises(InputError) as missing:
        page_png(stored, 9, shown_as="akten/leitfaden.pdf")
    assert str(missing.value) == "akten/leitfaden.pdf hat keine Seite 9 (es hat 3)"


def test_a_page_is_named_as_printed_and_drawn_from_its_sheet(tmp_path: Path) -> None:
    labelled = write_labelled_pdf(tmp_path / "satzung.pdf")  # sheets i, ii, 1, 2
    plain = write_pdf(tmp_path / "ohne.pdf", LABELLED)  # the same sheets, numbered 1 to 4
    assert page_png(labelled, 1) == page_png(plain, 3)
    assert page_png(labelled, 2) == page_png(plain, 4)
    assert passage_boxes(labelled, 1, "Die Hundesteuer beträgt") != []
    assert passage_boxes(labelled, 2, "Die Hundesteuer beträgt") == []
    with pytest.raises(InputError) as missing:
        page_png(labelled, 3, shown_as="akten/satzung.pdf")
    assert str(missing.value) == (
        "akten/satzung.pdf hat keine Seite 3 (die Seiten sind von 1 bis 2 nummeriert)"
    )
