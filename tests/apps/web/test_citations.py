"""Citations on the page: every `[n]` of an answer from the documents and of a memo is a button
that opens its source at its page, by keyboard too, with a name that says which source; the
viewer closes back to it. The tiny random model cites nothing, so here a model that always
cites (the real one, with its writing replaced) answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.apps.rag.index import ingest
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import GenerationResult, Prompt, SamplingParams, TransformersBackend
from tests.apps.rag.documents import write_pdf
from tests.apps.web.conftest import TIMEOUT, axe_violations
from tests.http_server import running_server

ANSWER = "Angebote müssen binnen der Frist eingehen [1, S. 2]. Mehr steht in [1, 2]."


class CitingBackend(TransformersBackend):
    """The tiny model, except that every answer it writes is ANSWER."""

    def generate_batch(
        self,
        prompts: list[Prompt],
        params: SamplingParams,
        n: int = 1,
        cancel: threading.Event | None = None,
    ) -> list[GenerationResult]:
        written = len(self.tokenize(ANSWER, add_special_tokens=False))
        return [
            GenerationResult(ANSWER, len(self.tokenize(str(p))), written, "stop")
            for p in prompts
            for _ in range(n)
        ]


@pytest.fixture(scope="module")
def url(long_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("citing")
    docs = root / "akten"
    docs.mkdir()
    write_pdf(docs / "leitfaden.pdf")
    ingest(root / "collections", "vergabe", [docs])
    backend = CitingBackend(long_model_dir, model_name="winzig")
    with running_server(create_app(backend, collections=root / "collections")) as served:
        yield served  # on loopback without a gateway: no key


@pytest.fixture
def page(browser, url: str):
    context = browser.new_context(locale="de-DE", bypass_csp=True)
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT)
    opened.goto(url + "/")
    opened.get_by_text("Angemeldet. Modell: winzig").wait_for()
    yield opened
    context.close()


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


def test_the_citations_of_a_memo_open_their_sources(page) -> None:
    page.get_by_role("button", name="Vermerk oder Rede").click()
    page.get_by_label("Thema").fill("Frist für den Eingang der Angebote")
    page.get_by_role("button", name="Entwurf schreiben").click()
    page.locator("#draft-sections h4").nth(2).wait_for()
    section = page.locator("#draft-sections section").first
    assert ANSWER in section.inner_text()
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
