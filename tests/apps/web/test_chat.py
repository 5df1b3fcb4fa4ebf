"""The chat on the page, in a real browser, with the tiny model whose context holds 256 tokens:
a long conversation leaves out its oldest turns so that it fits (counted with the server's
tokenizer, or on the server's refusal where the engine lends none) and says so; a turn that fails
leaves no empty answer behind; "Neue Unterhaltung" starts over; Ctrl+Enter sends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from tests.apps.web.conftest import TIMEOUT, axe_violations
from tests.http_server import running_server

# words the tiny tokenizer knows: a question of some 60 tokens, a quarter of the context
QUESTION = (
    "Die Katze sieht den Garten. Der Hund liebt das Buch. Das Kind findet die Brücke. "
    "Die Lehrerin sucht den Fluss. Der Bäcker malt das Brot am Morgen. Die Stadt sieht das Buch."
)
TRIMMED = "Ältere Nachrichten wurden weggelassen, damit die Unterhaltung in den Kontext passt."
BUSY = "Das Modell schreibt …"


@pytest.fixture(scope="module")
def url(model_dir: Path) -> Iterator[str]:
    backend = TransformersBackend(model_dir, model_name="winzig")  # a context of 256 tokens
    with running_server(create_app(backend)) as served:
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


def send(page, text: str, *, keys: bool = False) -> list[dict]:
    """Send `text` (with Ctrl+Enter where `keys`); the messages the model was sent."""
    page.get_by_label("Ihre Nachricht").fill(text)
    with page.expect_request("**/v1/chat/completions") as sent:
        if keys:
            page.get_by_label("Ihre Nachricht").press("Control+Enter")
        else:
            page.get_by_role("button", name="Senden").click()
    page.wait_for_function(f"document.getElementById('chat-status').textContent !== '{BUSY}'")
    return sent.value.post_data_json["messages"]


def test_a_long_conversation_leaves_out_its_oldest_turns_and_says_so(page) -> None:
    refused = []
    page.on("response", lambda r: refused.append(r.url) if r.status >= 400 else None)
    sent = [send(page, f"{QUESTION} Frage {turn}.") for turn in range(1, 5)]
    assert page.locator("#chat-status").inner_text() == ""
    assert refused == []  # counted before sending: the server never had to refuse
    assert len(sent[0]) == 1
    last = sent[-1]
    assert last[-1] == {"role": "user", "content": f"{QUESTION} Frage 4."}
    assert len(last) < 7 and last[0]["role"] == "user"  # the oldest turns are left out
    assert "Frage 1." not in str(last)
    note = page.locator("#chat-log .note").first
    assert note.inner_text() == TRIMMED and note.is_visible()
    answers = page.locator(".turn.assistant").count()
    assert answers == 4 and page.locator(".turn.user").count() == 4  # the log keeps them all
    assert axe_violations(page) == []


def test_without_the_servers_tokenizer_a_refusal_leaves_out_the_oldest_turns(page) -> None:
    """An engine that lends no tokenizer: the page sends the whole conversation, and where the
    server refuses it as too long for the context, leaves out the oldest turns and sends again."""
    page.route("**/tokenize", lambda route: route.fulfill(status=404, body="{}"))
    refused = []
    page.on("response", lambda r: refused.append(r) if r.status == 400 else None)
    for turn in range(1, 5):
        send(page, f"{QUESTION} Frage {turn}.")
        assert page.locator("#chat-status").inner_text() == "", turn
    assert refused  # the server said no at least once, and the page sent less
    assert page.locator("#chat-log .note").first.inner_text() == TRIMMED


def test_a_turn_that_fails_leaves_no_empty_answer(page) -> None:
    too_long = " ".join([QUESTION] * 8)  # more than the whole context
    page.get_by_label("Ihre Nachricht").fill(too_long)
    page.get_by_role("button", name="Senden").click()
    status = page.locator("#chat-status")
    page.wait_for_function(f"document.getElementById('chat-status').textContent !== '{BUSY}'")
    # the user's own input: said plainly, not as if the server had broken
    assert status.inner_text().startswith("Nicht möglich: der Kontext dieses Modells fasst")
    assert page.locator(".turn").count() == 0
    assert page.get_by_label("Ihre Nachricht").input_value() == too_long  # to shorten, not retype
    assert send(page, "Die Katze sieht den Garten.") == [
        {"role": "user", "content": "Die Katze sieht den Garten."}
    ]  # the failed question is not sent again
    assert page.locator(".turn.assistant").count() == 1


def test_a_new_conversation_starts_over_and_ctrl_enter_sends(page) -> None:
    assert send(page, "Die Katze sieht den Garten.", keys=True)[-1]["content"] == (
        "Die Katze sieht den Garten."
    )
    assert page.locator(".turn.user").count() == 1
    page.get_by_role("button", name="Neue Unterhaltung").click()
    assert page.locator(".turn").count() == 0
    assert page.locator("#chat-status").inner_text() == "Eine neue Unterhaltung hat begonnen."
    assert page.evaluate("document.activeElement.id") == "message"
    assert send(page, "Der Hund liebt das Buch.", keys=True) == [
        {"role": "user", "content": "Der Hund liebt das Buch."}
    ]
    assert axe_violations(page) == []
