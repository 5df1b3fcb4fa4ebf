"""Citations on the page: every `[n]` of an answer from the documents and of a memo is a button
that opens its source at its page, by keyboard too, with a name that says which source; the
viewer closes back to it. The tiny random model cites nothing, so here a model that always
cites (the real one, with its writing replaced) answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gemeingut.serve.app import create_app
from tests.apps.web.citing import CitingBackend, signed_in_page
from tests.apps.web.conftest import axe_violations, guide_collection
from tests.http_server import running_server

CITED = "Angebote müssen binnen der Frist eingehen [1, S. 2]."
# every way the check reads a page or several sources, each a button at the server's place
ANSWER = (
    f"{CITED} Mehr steht in [1, 2]. Siehe [1, S. 2; 2], [1, S. 2-3], [1, S. 2 f.] und "
    "[1, Seiten 2–3]."
)
ONLY_CITED = "Nur mit Quelle eins."  # a question that asks for this gets CITED alone


def _answer(prompt: str) -> str:
    """ANSWER, or CITED where the question says ONLY_CITED."""
    return CITED if ONLY_CITED in prompt else ANSWER


@pytest.fixture(scope="module")
def url(long_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("citing")
    collections = guide_collection(root)
    backend = CitingBackend(long_model_dir, _answer)
    with running_server(create_app(backend, collections=collections)) as served:
        yield served  # on loopback without a gateway: no key


@pytest.fixture
def page(browser, url: str):
    yield from signed_in_page(browser, url)


def test_a_citation_in_an_answer_opens_its_source_by_keyboard(page) -> None:
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill("Wie lange ist die Frist für den Eingang der Angebote?")
    page.get_by_role("button", name="Antwort aus den Dokumenten").click()
    page.locator("#answer-heading").wait_for()
    assert page.locator("#answer-text").inner_text() == ANSWER  # the text reads as written
    cite = page.get_by_role("button", name="Quelle [1, S. 2] anzeigen: akten/leitfaden.pdf, S. 2")
    assert cite.inner_text() == "[1, S. 2]"
    # of "[1, 2]" each number that names a source is its own button
    assert page.get_by_role("button", name="Quelle [1] anzeigen: akten/leitfaden.pdf, S. 2").count()
    for marker in ("[1, S. 2-3]", "[1, S. 2 f.]", "[1, Seiten 2–3]"):
        assert page.get_by_role(
            "button", name=f"Quelle {marker} anzeigen: akten/leitfaden.pdf, S. 2"
        )
        assert page.locator("#answer-text button.cite", has_text=marker).count() == 1
    # the collection has one passage: of "[1, 2]" and "[1, S. 2; 2]" only the 1 is a button
    assert page.locator("#answer-text button.cite").all_inner_texts() == [
        "[1, S. 2]", "1", "1", "[1, S. 2-3]", "[1, S. 2 f.]", "[1, Seiten 2–3]"
    ]  # fmt: skip
    assert page.locator("#answer-results li, #results li").count() == 1
    assert page.locator("#answer-verdict").inner_text().startswith("Prüfen Sie diese Antwort")
    assert "[2] nennt keine Quelle" in page.locator("#answer-problems").inner_text()
    assert axe_violations(page) == []
    cite.focus()
    page.keyboard.press("Enter")
    heading = page.locator("#source-heading")
    heading.wait_for()
    assert heading.inner_text() == "Quelle: akten/leitfaden.pdf, S. 2"
    assert "dreißig Tage" in page.locator("#source-text mark").inner_text()
    page.locator("#source-page").wait_for()  # the page as printed
    assert axe_violations(page) == []
    page.keyboard.press("Escape")
    assert page.locator("#source").is_hidden()
    assert cite.evaluate("button => button === document.activeElement")


def test_the_source_viewer_opens_where_the_user_looks(page) -> None:
    """Right below the answer or the list whose button opened it, above the collection's
    documents and its upload form, in view and with the focus on its heading."""
    page.set_viewport_size({"width": 800, "height": 600})
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill("Wie lange ist die Frist für den Eingang der Angebote?")
    page.get_by_role("button", name="Antwort aus den Dokumenten").click()
    page.locator("#answer-heading").wait_for()
    page.locator("#held-list li").first.wait_for()  # the documents held, below the results
    openers = {
        "#results": page.locator("#results").get_by_role("button", name="Quelle anzeigen [1]"),
        "#answer": page.locator("#answer-text button.cite").first,
    }
    for block, opener in openers.items():
        opener.click()
        page.locator("#source-heading").wait_for()
        assert (
            page.evaluate("""block => document.querySelector(block).nextElementSibling.id""", block)
            == "source"
        )
        assert page.evaluate(
            """() => Boolean(document.querySelector("#source").compareDocumentPosition(
                document.querySelector("#held")) & Node.DOCUMENT_POSITION_FOLLOWING)"""
        )
        assert page.evaluate(
            """() => {
                const heading = document.activeElement;
                const box = heading.getBoundingClientRect();
                return heading.id === "source-heading" && box.top >= 0
                    && box.bottom <= window.innerHeight;
            }"""
        )
        assert axe_violations(page) == []
        page.keyboard.press("Escape")
        assert page.locator("#source").is_hidden()
        assert opener.evaluate("button => button === document.activeElement")


def test_an_answer_cited_but_not_quoted_is_said_to_be_not_checked(page) -> None:
    """Nothing in it is wrong, and nothing could be checked: the page says so, not that its
    citations do not hold."""
    page.get_by_role("button", name="Dokumente").click()
    question = f"Wie lange ist die Frist für den Eingang der Angebote? {ONLY_CITED}"
    page.get_by_label("Frage").fill(question)
    page.get_by_role("button", name="Antwort aus den Dokumenten").click()
    page.locator("#answer-heading").wait_for()
    assert page.locator("#answer-text").inner_text() == CITED
    verdict = page.locator("#answer-verdict").inner_text()
    assert verdict.startswith("Nichts als falsch erkannt") and "nicht halten" not in verdict
    assert "nicht wörtlich zitiert (nicht geprüft)" in page.locator("#answer-problems").inner_text()
    assert axe_violations(page) == []


def test_the_citations_of_a_memo_open_their_sources(page) -> None:
    page.get_by_role("button", name="Vermerk oder Rede").click()
    page.get_by_label("Thema").fill("Frist für den Eingang der Angebote")
    page.get_by_role("button", name="Entwurf schreiben").click()
    page.locator("#draft-sections h4").nth(2).wait_for()
    section = page.locator("#draft-sections section").first
    assert ANSWER in section.inner_text()
    assert section.locator(".warning").inner_text().startswith("Belege halten nicht: [1] ist")
    listed = page.locator("#draft-sources li").first.inner_text()  # "[1] WHERE Quelle anzeigen [1]"
    where = listed.removeprefix("[1] ").removesuffix("Quelle anzeigen [1]").strip()
    cite = section.locator("button.cite").first
    assert cite.get_attribute("aria-label") == f"Quelle [1, S. 2] anzeigen: {where}"
    cite.click()
    heading = page.locator("#view-draft #source-heading")
    heading.wait_for()
    assert heading.inner_text() == f"Quelle: {where}"
    assert axe_violations(page) == []
    page.get_by_role("button", name="Schließen").click()
    assert cite.evaluate("button => button === document.activeElement")


def test_the_api_gives_each_citation_its_place_in_the_text(url: str) -> None:
    """A client builds its links from these places and reads no marker itself."""
    asked = {"question": "Wie lange ist die Frist für den Eingang der Angebote?", "k": 2}
    answer = httpx.post(f"{url}/v1/collections/vergabe/answer", json=asked, timeout=120).json()
    assert answer["status"] == "unsupported"  # [2] names no source
    placed = [
        (answer["answer"][c["start"] : c["end"]], c["source"], c["page"])
        for c in answer["citations"]
    ]
    assert placed[-5:] == [
        ("[1, S. 2; 2]", 1, 2), ("[1, S. 2; 2]", 2, None), ("[1, S. 2-3]", 1, 2),
        ("[1, S. 2 f.]", 1, 2), ("[1, Seiten 2–3]", 1, 2),
    ]  # fmt: skip
    second = answer["citations"][-4]
    assert answer["answer"][second["number_start"] : second["end"]] == "2]"
    body = {"kind": "vermerk", "collection": "vergabe", "subject": "Frist", "k": 2}
    draft = httpx.post(f"{url}/v1/assist/draft", json=body, timeout=300).json()
    section = draft["sections"][0]
    assert section["status"] == "unsupported"
    assert [c["start"] for c in section["citations"]] == [c["start"] for c in answer["citations"]]
