"""A PDF's search hit names its page and its section: a PDF's passages carry the numbered
heading above them (`pdf_sections.py`), and the page showed the page alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.apps.rag.ingest import ingest
from gemeingut.serve.app import create_app
from tests.apps.rag.documents import write_pdf
from tests.apps.web.citing import CitingBackend, signed_in_page
from tests.http_server import running_server

PAGES = [
    "1. Allgemeines\nDie Vergabestelle nennt alle Zuschlagskriterien in der Bekanntmachung.",
    "2. Angebotsfristen\nDie Frist für den Eingang der Angebote beträgt mindestens dreißig Tage.",
]


@pytest.fixture(scope="module")
def url(long_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("pdf-sections")
    docs = root / "akten"
    docs.mkdir()
    write_pdf(docs / "fristen.pdf", PAGES)
    ingest(root / "collections", "vergabe", [docs])
    backend = CitingBackend(long_model_dir, lambda _prompt: "Siehe [1].")
    with running_server(create_app(backend, collections=root / "collections")) as served:
        yield served


@pytest.fixture
def page(browser, url: str):
    yield from signed_in_page(browser, url)


def test_a_pdf_hit_names_its_page_and_its_section(page) -> None:
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill("Frist Eingang Angebote")
    page.get_by_role("button", name="Suchen").click()
    first = page.locator("#results li").first
    first.wait_for()
    assert "[1] akten/fristen.pdf, S. 2, 2. Angebotsfristen" in first.inner_text()
