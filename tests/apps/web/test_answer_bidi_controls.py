"""Bidirectional controls in a model's answer: the page isolates each chat answer (its own
<span dir="auto">), but a stray closing isolate (U+2069) the model writes ended that isolation
early, and a right-to-left override (U+202E) after it then reordered what follows on the page:
the page's own "Antwort melden" button stood left of the answer's last words. Now the controls
of an answer are shown as ⟨U+2069⟩, as those of findings and document names are, in the
streamed chat answer and in an answer from the documents; what the model is sent again (and a
report quotes) is the answer as written. A real browser, the server on loopback, its model's
writing replaced."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import GenerationResult, SamplingParams, TextStream
from gemeingut.serve.findings_routes import FindingsDesk
from tests.apps.web.citing import CitingBackend, signed_in_page
from tests.apps.web.conftest import guide_collection
from tests.apps.web.test_bidi_controls import PLACES
from tests.http_server import running_server

PIECES = ["Die Frist ", "endet\u2069", "\u202e", " bald", " [1]."]  # streamed as written
WRITTEN = "".join(PIECES)
SHOWN = "Die Frist endet⟨U+2069⟩⟨U+202E⟩ bald [1]."
BUSY = "Das Modell schreibt …"


class StreamingBackend(CitingBackend):
    """The tiny model, except that every answer it writes, streamed or whole, is WRITTEN."""

    def stream(self, prompt: object, params: SamplingParams) -> TextStream:
        def pieces() -> Generator[str, None, GenerationResult]:
            yield from PIECES
            return GenerationResult(WRITTEN, 1, len(PIECES), "stop")

        return TextStream(pieces())


@pytest.fixture(scope="module")
def url(long_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("bidi-answer")
    collections = guide_collection(root)
    backend = StreamingBackend(long_model_dir, lambda prompt: WRITTEN)
    desk = FindingsDesk(root / "findings.jsonl")  # an answer can be reported: its button
    app = create_app(backend, collections=collections, findings=desk)
    with running_server(app) as served:
        yield served  # on loopback without a gateway: no key


@pytest.fixture
def page(browser, url: str):
    yield from signed_in_page(browser, url)


def _send(page, text: str) -> list[dict]:
    page.get_by_label("Ihre Nachricht").fill(text)
    with page.expect_request("**/v1/chat/completions") as sent:
        page.get_by_role("button", name="Senden").click()
    page.wait_for_function(f"document.getElementById('chat-status').textContent !== '{BUSY}'")
    return sent.value.post_data_json["messages"]


def test_a_streamed_answer_shows_its_controls_and_keeps_the_page_in_order(page) -> None:
    _send(page, "Wann endet die Frist?")
    answer = page.locator("#chat-log .turn.assistant span").first
    page.locator("#chat-log .turn.assistant button.report").wait_for()
    assert answer.inner_text() == SHOWN  # before: the controls themselves, unseen
    turn = page.locator("#chat-log .turn.assistant").first.inner_text()
    assert "\u2069" not in turn and "\u202e" not in turn
    # the words after the override read left to right, and the page's button after them
    bald, report = page.evaluate(PLACES, ["#chat-log .turn.assistant", "bald", "Antwort melden"])
    assert bald < report  # before: the override reordered the button before the words
    endet, bald_again = page.evaluate(PLACES, ["#chat-log .turn.assistant", "endet", "bald"])
    assert endet < bald_again
    # the model is sent its answer as it wrote it, not as the page shows it
    sent = _send(page, "Und danach?")
    assert [m["content"] for m in sent if m["role"] == "assistant"] == [WRITTEN]


def test_an_answer_from_the_documents_shows_its_controls(page) -> None:
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill("Wann endet die Frist?")
    page.get_by_role("button", name="Antwort aus den Dokumenten").click()
    page.locator("#answer-heading").wait_for()
    shown = page.locator("#answer-text").inner_text()
    assert shown == SHOWN, shown  # the citation still a button at its place
    assert page.locator("#answer-text button.cite").all_inner_texts() == ["[1]"]
    endet, cite = page.evaluate(PLACES, ["#answer-text", "endet", "[1]"])
    assert endet < cite
