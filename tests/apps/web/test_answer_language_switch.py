"""An answer from the documents and a memo, shown again when the language is switched: their
problems (the citation check's findings), the answer without evidence and the memo's headings
are in the language switched to, as everything else on the page is, and the model is not asked
again. The page hands the answer or the memo back (`given`) and the server checks their
citations anew in that language. Before, the server's words stayed in the language they were
asked in. Debian's chromium, axe on each in English, the server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.apps.web.citing import CitingBackend, signed_in_page
from tests.apps.web.conftest import axe_violations, guide_collection
from tests.http_server import running_server

# a passage not in its source, and a source that is not there
ANSWER = "Die Frist beträgt „sechzig Tage und einen Monat“ [1, S. 2]. Siehe auch [7]."
QUESTION = "Wie lange ist die Frist für den Eingang der Angebote?"


class Counting(CitingBackend):
    """Writes ANSWER, and counts the answers it was asked for."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder, self._write)
        self.asked = 0

    def _write(self, prompt: str) -> str:
        self.asked += 1
        return ANSWER


@pytest.fixture(scope="module")
def site(long_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    from gemeingut.serve.app import create_app

    root = tmp_path_factory.mktemp("switch")
    backend = Counting(long_model_dir)
    app = create_app(backend, collections=guide_collection(root))
    with running_server(app) as served:
        yield {"url": served, "backend": backend}  # on loopback without a gateway: no key


@pytest.fixture
def page(browser, site: dict):
    yield from signed_in_page(browser, site["url"])


def ask(page, question: str) -> None:
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill(question)
    page.get_by_role("button", name="Antwort aus den Dokumenten").click()
    page.locator("#answer-heading").wait_for()


def test_an_answer_s_problems_switch_language_without_asking_the_model(page, site: dict) -> None:
    ask(page, QUESTION)
    problems = page.locator("#answer-problems")
    german = problems.inner_text()
    assert "nennt keine Quelle" in german and "steht nicht in dieser Quelle" in german
    asked = site["backend"].asked
    with page.expect_response(lambda r: r.url.endswith("/answer")) as said_again:
        page.get_by_role("link", name="English").click()
    again = said_again.value.json()
    assert again["answer"] == ANSWER  # handed back, not written again
    assert (again["given"], again["asked_model"]) == (True, False)  # and said to be handed back
    page.locator("#answer-verdict").filter(has_text="Check this answer").wait_for()
    english = problems.inner_text()
    assert "names no source" in english and "is not in that source" in english, english
    assert "Quelle" not in english
    assert page.locator("#answer-text").inner_text() == ANSWER
    assert site["backend"].asked == asked  # the model was not asked again
    assert axe_violations(page) == []
    # a citation still opens its source, in English
    page.locator("#answer-text button.cite").first.click()
    page.locator("#source-heading").filter(has_text="Source: akten/leitfaden.pdf").wait_for()


def test_an_answer_without_evidence_says_so_in_the_language_switched_to(page) -> None:
    ask(page, "Quantenchromodynamik")
    assert page.locator("#answer-text").inner_text().startswith("Die Sammlung enthält keine Quelle")
    page.get_by_role("link", name="English").click()
    page.locator("#answer-text").filter(has_text="The collection holds no source").wait_for()
    assert "Quelle" not in page.locator("#answer").inner_text()
    assert axe_violations(page) == []


def test_an_invented_answer_handed_in_is_checked_but_never_said_to_be_the_model_s(
    site: dict,
) -> None:
    url = f"{site['url']}/v1/collections/vergabe"
    [source] = httpx.post(f"{url}/search", json={"query": QUESTION, "k": 1}).json()["data"]
    invented = f"Laut Leitfaden „{source['text'][:20]}“ [1]."
    asked = site["backend"].asked
    given = {"answer": invented, "sources": [source["id"]], "allowance_tokens": 7}
    checked = httpx.post(f"{url}/answer", json={"question": QUESTION, "given": given}).json()
    assert site["backend"].asked == asked  # no model call, so nothing to charge
    assert (checked["answer"], checked["given"], checked["asked_model"]) == (invented, True, False)
    assert checked["status"] == "supported"  # the citation holds: the words are the caller's
    assert [s["id"] for s in checked["sources"]] == [source["id"]]


def test_an_answer_handed_back_whose_source_is_gone_is_refused_with_what_to_do(
    site: dict,
) -> None:
    given = {"answer": ANSWER, "sources": ["kein-solcher-abschnitt"]}
    refused = httpx.post(
        f"{site['url']}/v1/collections/vergabe/answer",
        json={"question": QUESTION, "given": given},
    )
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert (error["code"], error["param"]) == ("source_gone", "given.sources")
    assert error["message"] == (
        "eine Quelle der Antwort, „kein-solcher-abschnitt“, ist nicht mehr in der Sammlung: "
        "stellen Sie die Frage erneut"
    )


def test_a_memo_s_problems_and_headings_switch_language_without_asking_the_model(
    page, site: dict
) -> None:
    page.get_by_role("button", name="Vermerk oder Rede").click()
    page.get_by_label("Thema").fill("Fristen für den Eingang der Angebote")
    page.get_by_role("button", name="Entwurf schreiben").click()
    page.locator("#draft-title").wait_for()
    sections = page.locator("#draft-sections")
    assert "Sachverhalt" in sections.inner_text() and "nennt keine Quelle" in sections.inner_text()
    asked = site["backend"].asked
    with page.expect_response(lambda r: r.url.endswith("/v1/assist/draft")) as said_again:
        page.get_by_role("link", name="English").click()
    assert all(s["text"] == ANSWER for s in said_again.value.json()["sections"])
    page.locator("#draft-sections").filter(has_text="names no source").wait_for()
    english = sections.inner_text()
    assert "Sachverhalt" not in english and "Quelle" not in english, english
    assert site["backend"].asked == asked  # the model was not asked again
    assert axe_violations(page) == []
