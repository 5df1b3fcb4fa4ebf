"""The page of a server with an encoder: chats, the look inside and drafts are offered only
with models that write text, as `/v1/models` says per model. An encoder alone: in place of the
chat form the page says (in German) that no model writes text, the search stays. An encoder
first and a language model beside it: the page chats with the language model, never offers
the encoder, and offers drafts, which the language model writes (the first model that writes).
A real browser, the server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.model.encoder_layout import encoder_layout
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.backends.encoder import EncoderBackend
from gemeingut.serve.served import ModelEntry
from tests.apps.web.conftest import TIMEOUT, axe_violations
from tests.apps.web.conftest import browser as browser  # a fixture
from tests.encoders.tiny_encoders import make_sentence_bert
from tests.http_server import running_server
from tests.serve.conftest import model_dir as model_dir  # a fixture: the tiny Llama

BUSY = "Das Modell schreibt …"
NO_WRITER = "Keines der Modelle, die Sie nutzen dürfen, schreibt Text"


@pytest.fixture(scope="module")
def bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sentence_bert(tmp_path_factory.mktemp("encoder") / "bert")


@pytest.fixture(scope="module")
def alone(bert: Path) -> Iterator[str]:
    with running_server(create_app(EncoderBackend(encoder_layout(bert), "winzig"))) as served:
        yield served  # on loopback without a gateway: no key


@pytest.fixture(scope="module")
def beside(bert: Path, model_dir: Path) -> Iterator[str]:
    also = (ModelEntry(TransformersBackend(model_dir, model_name="schreiber")),)
    app = create_app(EncoderBackend(encoder_layout(bert), "winzig"), also=also)
    with running_server(app) as served:
        yield served


def _opened(browser, url: str):
    context = browser.new_context(locale="de-DE", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url + "/")
    page.locator("#signed-in").filter(has_text="Angemeldet").wait_for()
    return context, page


def test_an_encoder_alone_is_offered_for_no_chat(browser, alone: str) -> None:
    context, page = _opened(browser, alone)
    assert page.get_by_text(NO_WRITER).first.is_visible()
    assert not page.get_by_label("Ihre Nachricht").is_visible()
    page.get_by_role("button", name="Blick ins Modell").click()
    assert page.locator("#tokens-no-writer").is_visible()
    assert not page.locator("#tokens-form").is_visible()
    page.get_by_role("button", name="Vermerk oder Rede").click()
    assert page.locator("#draft-no-writer").is_visible()
    assert not page.locator("#draft-form").is_visible()
    page.get_by_role("button", name="Dokumente").click()
    assert page.locator("#search-form").is_visible()  # the search needs no model that writes
    assert not page.locator("#answer-button").is_visible()
    assert axe_violations(page) == []
    context.close()


def test_beside_a_language_model_the_page_chats_with_it(browser, beside: str) -> None:
    context, page = _opened(browser, beside)
    assert page.locator("#signed-in").inner_text() == "Angemeldet. Modell: schreiber."
    offered = page.eval_on_selector_all("#model option", "options => options.map(o => o.value)")
    assert offered == ["schreiber"]
    page.get_by_label("Ihre Nachricht").fill("Wer prüft die Frist?")
    page.get_by_role("button", name="Senden").click()
    page.wait_for_function(f"document.getElementById('chat-status').textContent !== '{BUSY}'")
    status = page.locator("#chat-status").inner_text()
    assert status == "", status  # no refusal: the language model answered
    assert page.locator(".turn.assistant").count() == 1
    page.get_by_role("button", name="Vermerk oder Rede").click()
    assert page.locator("#draft-form").is_visible()  # the first model that writes writes it
    assert not page.locator("#draft-no-writer").is_visible()
    assert not page.locator("#draft-model-choice").is_visible()  # one writer: nothing to choose
    context.close()
