"""A PDF whose front matter is numbered i, ii and its text 1, 2 (page labels, written by the
test with pypdf): the front matter's pages are cited and shown by their printed label, kept
through the index, and drawn from their sheet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gemeingut.apps.rag.cite import check_citations
from gemeingut.apps.rag.index import ingest, open_collection
from gemeingut.apps.rag.page_image import page_png
from gemeingut.errors import InputError
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from tests.apps.rag.documents import LABELLED, write_labelled_pdf, write_pdf
from tests.http_server import running_server

PREFACE = "Vorwort der Bürgermeisterin zur neuen Satzung."  # on sheet 1, printed "i"
CONTENTS = "Inhaltsverzeichnis mit allen Paragraphen."  # on sheet 2, printed "ii"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("labels")
    (folder / "akten").mkdir()
    write_labelled_pdf(folder / "akten" / "satzung.pdf")  # sheets i, ii, 1, 2
    ingest(folder / "collections", "satzung", [folder / "akten"])
    return folder / "collections"


def test_the_front_matter_keeps_its_printed_labels_through_the_index(root: Path) -> None:
    chunks = open_collection(root, "satzung").chunks
    assert [(c.page, c.text) for c in chunks] == list(zip(["i", "ii", 1, 2], LABELLED, strict=True))


def test_a_citation_of_a_roman_page_is_checked_against_the_label(root: Path) -> None:
    preface = open_collection(root, "satzung").chunks[0]

    def problems(marker: str) -> list[str | None]:
        answer = f"Die Satzung beginnt so: „{PREFACE}“ {marker}."
        return [c.problem for c in check_citations(answer, [preface]).citations]

    assert problems("[1, S. i]") == [None]
    assert problems("[1, S. I]") == [None]  # a roman numeral in capitals is the same page
    assert problems("[1, S. i–iii]") == [None]
    assert problems("[1, S. i f.]") == [None]
    assert problems("[1, S. ii]") == ["wrong_page"]
    assert problems("[1, S. 1]") == ["wrong_page"]  # page 1 is the third sheet
    verdict = check_citations(f"„{PREFACE}“ [1, S. iv]", [preface])
    assert verdict.problems == ["[1] nennt Seite iv, die Stelle steht auf Seite i."]


def test_a_roman_page_is_drawn_from_its_sheet(tmp_path: Path) -> None:
    labelled = write_labelled_pdf(tmp_path / "satzung.pdf")
    plain = write_pdf(tmp_path / "ohne.pdf", LABELLED)  # the same sheets, numbered 1 to 4
    assert page_png(labelled, "ii") == page_png(plain, 2)
    assert page_png(labelled, "II") == page_png(plain, 2)
    assert page_png(labelled, 1) == page_png(plain, 3)
    with pytest.raises(InputError, match=r"hat keine Seite iv"):
        page_png(labelled, "iv")


@pytest.fixture(scope="module")
def url(root: Path, long_model_dir: Path) -> Iterator[str]:
    backend = TransformersBackend(long_model_dir, model_name="winzig")
    with running_server(create_app(backend, collections=root)) as base:
        yield base


def test_the_source_viewer_shows_a_roman_page_and_its_image(url: str) -> None:
    source = f"{url}/v1/collections/satzung/source"
    shown = httpx.get(source, params={"document": "akten/satzung.pdf", "page": "ii"}, timeout=60)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert (body["page"], body["text"]) == ("ii", CONTENTS)
    image = httpx.get(f"{url}{body['page_image']}", timeout=60)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    numbered = httpx.get(source, params={"document": "akten/satzung.pdf", "page": "1"}, timeout=60)
    assert numbered.json()["page"] == 1 and numbered.json()["text"] == LABELLED[2]
    missing = httpx.get(source, params={"document": "akten/satzung.pdf", "page": "v"}, timeout=60)
    assert missing.status_code == 404
    asked = {"query": "Vorwort der Bürgermeisterin", "mode": "bm25"}
    hits = httpx.post(f"{url}/v1/collections/satzung/search", json=asked, timeout=60).json()
    assert hits["data"][0]["page"] == "i"
