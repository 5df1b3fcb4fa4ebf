"""A PDF that stores "Pflicht" with the ligature "ﬂ" (U+FB02), as Chromium, Word and LaTeX
print it, is read, searched, quoted and marked as "Pflicht"; a collection read before the
ligatures were letters is read again."""

import json
from pathlib import Path

import pytest

from gemeingut.apps.rag import ocr
from gemeingut.apps.rag.cite import check_citations
from gemeingut.apps.rag.index import COLLECTION_FILE, ingest, open_collection
from gemeingut.apps.rag.page_image import passage_boxes
from gemeingut.apps.rag.readers import read_document
from gemeingut.apps.rag.retrieve import search
from gemeingut.apps.rag.storage import READER_FORMAT
from gemeingut.errors import InputError
from tests.apps.rag.ligature_pdf import write_ligature_pdf

LINES = [
    "§ 2 P\ufb02icht zur Herstellung von Stellplätzen",
    "Die Stellplatzp\ufb02icht gilt für ö\ufb00entlich \ufb01nanzierte Bauten,",
    "auch für O\ufb03zierskasinos und Ga\ufb06stätten.",
]
LIGATURES = {chr(c) for c in range(0xFB00, 0xFB07)}


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = write_ligature_pdf(tmp_path / "akten" / "satzung.pdf", LINES)
    from pypdf import PdfReader  # the file holds the ligatures, as the trial's did

    assert "Stellplatzp\ufb02icht" in PdfReader(path).pages[0].extract_text()
    return path


@pytest.fixture(autouse=True)
def _folder(tmp_path: Path) -> None:
    (tmp_path / "akten").mkdir()


def test_the_ligatures_of_a_pdf_are_read_as_their_letters(pdf: Path) -> None:
    [passage] = read_document(pdf)
    assert not LIGATURES & set(passage.text)
    assert passage.section == "§ 2 Pflicht zur Herstellung von Stellplätzen"  # and in the text
    assert passage.text.split("\n") == [
        "§ 2 Pflicht zur Herstellung von Stellplätzen",
        "Die Stellplatzpflicht gilt für öffentlich finanzierte Bauten,",
        "auch für Offizierskasinos und Gaststätten.",
    ]


def test_a_heading_with_a_ligature_in_another_format_is_its_letters(tmp_path: Path) -> None:
    page = tmp_path / "satzung.html"
    page.write_text(
        "<h1>Stellplatzsatzung</h1><h2>§ 2 P\ufb02icht</h2><p>Ein Stellplatz je Wohnung.</p>",
        encoding="utf-8",
    )
    [passage] = read_document(page)
    assert passage.section == "Stellplatzsatzung › § 2 Pflicht"


def test_pflicht_finds_the_page_and_a_quote_with_fl_validates(pdf: Path, tmp_path: Path) -> None:
    root = tmp_path / "c"
    ingest(root, "satzung", [pdf.parent])
    collection = open_collection(root, "satzung")
    hits = search(collection, "Pflicht Stellplätze", k=1, mode="bm25")
    assert hits, "no chunk found for „Pflicht“"
    chunk = collection.chunks[hits[0].row]
    assert (chunk.document, chunk.page) == ("akten/satzung.pdf", 1)
    assert "Die Stellplatzpflicht gilt für öffentlich finanzierte Bauten" in chunk.text
    for written in (
        "Stellplatzpflicht gilt für öffentlich",
        "Stellplatzp\ufb02icht gilt für ö\ufb00entlich",
    ):
        answer = f"Die Satzung sagt: „Die {written} finanzierte Bauten“ [1, S. 1]."
        verdict = check_citations(answer, [chunk])
        assert verdict.supported and verdict.problems == [], written
    assert passage_boxes(pdf, 1, "Die Stellplatzpflicht gilt"), "no mark on the page"


def test_a_collection_read_with_the_ligatures_kept_is_read_again(pdf: Path, tmp_path: Path) -> None:
    root = tmp_path / "c"
    ingest(root, "satzung", [pdf.parent])
    meta_file = root / "satzung" / COLLECTION_FILE
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    for record in meta["documents"].values():
        record["reader"] = 6  # the readers that kept "ﬂ"
    meta_file.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(InputError):
        search(open_collection(root, "satzung"), "Pflicht", mode="bm25")
    assert ingest(root, "satzung", [pdf.parent]).reread == ["akten/satzung.pdf"]
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    assert {r["reader"] for r in meta["documents"].values()} == {READER_FORMAT}


def test_a_scanned_pages_ligature_is_marked_where_the_letters_are_quoted() -> None:
    words = [  # Tesseract reads a ligature glyph as "ﬂ", too
        ocr.Word("Die", (1, 1, 1), (0.1, 0.1, 0.05, 0.02)),
        ocr.Word("Stellplatzp\ufb02icht", (1, 1, 1), (0.16, 0.1, 0.2, 0.02)),
        ocr.Word("gilt", (1, 1, 2), (0.1, 0.13, 0.05, 0.02)),
        ocr.Word("immer.", (1, 1, 2), (0.16, 0.13, 0.05, 0.02)),
    ]
    assert ocr.page_text(words) == "Die Stellplatzp\ufb02icht\ngilt immer."  # read: `_visible`
    boxes = ocr.passage_boxes(words, "Stellplatzpflicht gilt")
    assert boxes == [pytest.approx((0.16, 0.1, 0.2, 0.02)), pytest.approx((0.1, 0.13, 0.05, 0.02))]
