"""A citation of a text file without headings opens the lines it cites: the file has neither
pages nor sections, so only its lines say where a source stands. Each source of an answer, a
draft and a search carries its `lines`; the page names them in the citation's button and the
viewer's heading, and asks `/source` for them, so the viewer shows the cited lines, not the
whole file. A model that always cites [1] (the tiny one, its writing replaced) answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gemeingut.apps.rag.index import ingest
from gemeingut.serve.app import create_app
from tests.apps.web.citing import CitingBackend, signed_in_page
from tests.apps.web.conftest import axe_violations
from tests.http_server import running_server

QUESTION = "Wie hoch ist die Hundesteuer für den ersten Hund?"
ANSWER = "Für den ersten Hund sind 120 Euro im Jahr zu zahlen [1]."
CITED_LINE = 31  # the line that answers, far from the file's start and end
DOCUMENT = "akten/vermerk.txt"


def _lines() -> list[str]:
    """A memo of 60 lines without headings (no line reads as one), the answer on CITED_LINE."""
    lines = [
        f"Im Jahr {2000 + n} prüfte das Grünflächenamt die Anlagen im Bezirk {n} "
        f"und fand an den Bänken, Wegen und Beeten keine Mängel von Belang."
        for n in range(1, 61)
    ]
    lines[CITED_LINE - 1] = "Die Hundesteuer beträgt für den ersten Hund 120 Euro im Jahr."
    return lines


def _flat(*texts: str) -> str:
    return " ".join(" ".join(texts).split())


@pytest.fixture(scope="module")
def url(long_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("lines")
    docs = root / "akten"
    docs.mkdir()
    (docs / "vermerk.txt").write_text("\n".join(_lines()) + "\n", encoding="utf-8")
    ingest(root / "collections", "akten", [docs])
    backend = CitingBackend(long_model_dir, lambda prompt: ANSWER)
    with running_server(create_app(backend, collections=root / "collections")) as served:
        yield served  # on loopback without a gateway: no key


def _cited(url: str) -> dict:
    """The source [1] of the answer to QUESTION, as the API gives it."""
    asked = {"question": QUESTION, "k": 3}
    answer = httpx.post(f"{url}/v1/collections/akten/answer", json=asked, timeout=120)
    assert answer.status_code == 200, answer.text
    return answer.json()["sources"][0]


def test_the_sources_of_answers_drafts_and_searches_carry_their_lines(url: str) -> None:
    source = _cited(url)
    first, last = source["lines"]
    assert source["document"] == DOCUMENT and source["section"] is None
    assert 1 < first <= CITED_LINE <= last < 60  # a chunk in the middle, not the whole file
    lines, text = _lines(), _flat(source["text"])
    assert text in _flat(*lines[first - 1 : last])  # the lines hold the chunk, and no fewer do
    assert text not in _flat(*lines[first:last]) and text not in _flat(*lines[first - 1 : last - 1])
    body = {"kind": "vermerk", "collection": "akten", "subject": "Hundesteuer", "k": 2}
    draft = httpx.post(f"{url}/v1/assist/draft", json=body, timeout=300)
    assert draft.status_code == 200, draft.text
    assert [s["lines"] is not None for s in draft.json()["sources"]] == [True, True]
    found = httpx.post(f"{url}/v1/collections/akten/search", json={"query": QUESTION}, timeout=60)
    assert found.json()["data"][0]["lines"] == [first, last]


@pytest.fixture
def page(browser, url: str):
    yield from signed_in_page(browser, url)


def test_a_citation_of_a_text_file_opens_the_lines_it_cites(page, url: str) -> None:
    first, last = _cited(url)["lines"]
    where = f"{DOCUMENT}, Zeilen {first}–{last}"
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill(QUESTION)
    page.get_by_role("button", name="Antwort aus den Dokumenten").click()
    page.locator("#answer-heading").wait_for()
    cite = page.get_by_role("button", name=f"Quelle [1] anzeigen: {where}")
    assert cite.inner_text() == "[1]"
    with page.expect_response("**/source?*") as asked:
        cite.click()
    assert f"lines={first}-{last}" in asked.value.url
    heading = page.locator("#source-heading")
    heading.wait_for()
    assert heading.inner_text() == f"Quelle: {where}"
    shown = page.locator("#source-text").inner_text()
    assert shown.splitlines() == _lines()[first - 1 : last]  # those lines, and no other
    assert "Hundesteuer" in page.locator("#source-text mark").inner_text()
    assert axe_violations(page) == []
    page.keyboard.press("Escape")
    assert page.locator("#source").is_hidden()
