"""On the page, an answer from the documents and a draft are written by the model chosen beside
each, as a chat is, and the page says under each which model wrote it: a server started with an
encoder first and two language models beside it (`serve ENCODER --also LLM --also LLM`) offers
both language models, labelled, the first that writes chosen, never the encoder. Before, both
were written by the server's first model, and with an encoder first the page said that they
could not be written. Debian's chromium, axe on both views, the server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.model.encoder_layout import encoder_layout
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.backends.encoder import EncoderBackend
from gemeingut.serve.served import ModelEntry
from tests.apps.web.conftest import TIMEOUT, axe_violations, guide_collection
from tests.encoders.tiny_encoders import make_sentence_bert
from tests.http_server import running_server

WRITERS = ["schreiber", "zweiter"]


@pytest.fixture(scope="module")
def url(long_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("writers")
    collections = guide_collection(root)
    encoder = EncoderBackend(encoder_layout(make_sentence_bert(root / "bert")), "e5")
    also = tuple(
        ModelEntry(TransformersBackend(long_model_dir, model_name=name)) for name in WRITERS
    )
    with running_server(create_app(encoder, collections=collections, also=also)) as served:
        yield served  # on loopback without a gateway: no key


def test_the_answer_and_the_draft_are_written_by_the_model_chosen(browser, url: str) -> None:
    context = browser.new_context(locale="de-DE", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url + "/")
    page.locator("#signed-in").filter(has_text="Angemeldet").wait_for()

    page.get_by_role("button", name="Dokumente").click()
    answer_model = page.get_by_label("Modell, das die Antwort schreibt")
    assert answer_model.evaluate("s => [...s.options].map((o) => o.value)") == WRITERS
    assert answer_model.input_value() == "schreiber"  # the first that writes, not the encoder
    answer_model.select_option("zweiter")
    page.get_by_label("Frage").fill("Wie lange ist die Frist für den Eingang der Angebote?")
    with page.expect_response(lambda r: r.url.endswith("/answer")) as answered:
        page.get_by_role("button", name="Antwort aus den Dokumenten").click()
    assert answered.value.json()["model"] == "zweiter"
    page.locator("#answer-heading").wait_for()
    assert page.locator("#answer-writer").inner_text() == "Geschrieben vom Modell zweiter."
    assert axe_violations(page) == []

    page.get_by_role("button", name="Vermerk oder Rede").click()
    assert not page.locator("#draft-no-writer").is_visible()
    draft_model = page.get_by_label("Modell, das den Entwurf schreibt")
    assert draft_model.input_value() == "schreiber"
    draft_model.focus()
    page.keyboard.press("ArrowDown")  # chosen by keyboard
    assert draft_model.input_value() == "zweiter"
    page.locator("#draft-rede").check()
    page.locator("#draft-minutes").fill("1")
    page.get_by_label("Thema").fill("Fristen für den Eingang der Angebote")
    with page.expect_response(lambda r: r.url.endswith("/v1/assist/draft")) as drafted:
        page.get_by_role("button", name="Entwurf schreiben").click()
    assert drafted.value.json()["model"] == "zweiter"
    page.locator("#draft-title").wait_for()
    assert page.locator("#draft-writer").inner_text() == "Geschrieben vom Modell zweiter."
    assert axe_violations(page) == []
    context.close()


def test_the_status_names_every_model_that_writes_not_the_chat_s_choice(browser, url: str) -> None:
    """The chat, an answer and a draft each choose their model: the status line names all the
    models that write (never the encoder), and the chat's choice does not change it; the look
    inside, which uses the chat's, says so in its view. Before, the status said "Modell:
    schreiber", then "Modell: zweiter" once the chat chose it, while the answers and drafts
    were still written by the model chosen beside them."""
    context = browser.new_context(locale="de-DE", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url + "/")
    status = page.locator("#signed-in")
    status.filter(has_text="Angemeldet").wait_for()
    assert status.inner_text() == "Angemeldet. Modelle: schreiber und zweiter."
    page.get_by_label("Modell", exact=True).select_option("zweiter")
    assert status.inner_text() == "Angemeldet. Modelle: schreiber und zweiter."
    assert axe_violations(page) == []
    # the look inside has no choice of its own: its view names the chat's
    page.get_by_role("button", name="Blick ins Modell").click()
    looked_into = page.locator("#tokens-model")
    assert looked_into.inner_text() == "Modell: zweiter (wie für den Chat gewählt)."
    assert axe_violations(page) == []
    page.get_by_role("link", name="English").click()
    page.locator("#signed-in").filter(has_text="Signed in").wait_for()
    assert page.locator("#signed-in").inner_text() == "Signed in. Models: schreiber and zweiter."
    context.close()
