"""The chat on the page, in a real browser, with the tiny model whose context holds 256 tokens:
a long conversation leaves out its oldest turns so that it fits (counted with the server's
tokenizer, or on the server's refusal where the engine lends none) and says so; a turn that fails
stays in the log with why in place of its answer, and is not sent again; "Neue Unterhaltung"
starts over; Ctrl+Enter sends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.findings_routes import FindingsDesk
from tests.apps.web.citing import signed_in_page
from tests.apps.web.conftest import TIMEOUT, axe_violations
from tests.http_server import running_server

# words the tiny tokenizer knows: a question of some 60 tokens, a quarter of the context
QUESTION = (
    "Die Katze sieht den Garten. Der Hund liebt das Buch. Das Kind findet die Brücke. "
    "Die Lehrerin sucht den Fluss. Der Bäcker malt das Brot am Morgen. Die Stadt sieht das Buch."
)
TRIMMED = (
    "Ältere Nachrichten wurden weggelassen: Das Modell kann nur eine begrenzte Menge Text auf "
    "einmal lesen."
)
BUSY = "Das Modell schreibt …"


@pytest.fixture(scope="module")
def url(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    backend = TransformersBackend(model_dir, model_name="winzig")  # a context of 256 tokens
    desk = FindingsDesk(tmp_path_factory.mktemp("chat") / "findings.jsonl")  # answers reported
    with running_server(create_app(backend, findings=desk)) as served:
        yield served  # on loopback without a gateway: no key


@pytest.fixture
def page(browser, url: str):
    yield from signed_in_page(browser, url)


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


def test_a_turn_that_fails_stays_in_the_log_with_why_and_is_not_sent_again(page) -> None:
    """Before, a failed turn vanished from the log (its question back in the box): a person
    reading the log later could not see that it was asked and refused. The refusals of a turn
    by status (per day and per minute: test_refused_turn.py) take the same way."""
    too_long = " ".join([QUESTION] * 8)  # more than the whole context
    page.get_by_label("Ihre Nachricht").fill(too_long)
    page.get_by_role("button", name="Senden").click()
    status = page.locator("#chat-status")
    page.wait_for_function(f"document.getElementById('chat-status').textContent !== '{BUSY}'")
    # the user's own input: said plainly, not as if the server had broken
    said = status.inner_text()
    assert said.startswith("Nicht möglich: der Kontext dieses Modells fasst")
    log = page.locator("#chat-log > *")
    kinds = log.evaluate_all("entries => entries.map(e => e.className)")
    assert kinds == ["turn user", "turn refusal"]  # no empty answer
    assert log.nth(0).inner_text() == f"Sie: {too_long}"
    assert log.nth(1).inner_text() == f"Fehler – nicht beantwortet: {said}"
    assert page.get_by_label("Ihre Nachricht").input_value() == too_long  # to shorten, not retype
    assert send(page, "Die Katze sieht den Garten.") == [
        {"role": "user", "content": "Die Katze sieht den Garten."}
    ]  # the failed question is not sent again
    assert page.locator(".turn.assistant").count() == 1
    assert page.locator(".turn.user").count() == 2


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


def wait_until(page, done, what: str) -> None:
    """Let the page run until `done()` (a route held, say): a few seconds at most."""
    for _ in range(200):
        if done():
            return
        page.wait_for_timeout(25)
    raise AssertionError(f"waited in vain for {what}")


def test_a_new_conversation_while_the_turns_are_counted_keeps_none_of_them(page) -> None:
    """Two long questions do not fit: the second turn counts twice (with the first exchange,
    then without it). A new conversation begun during the second count takes none of the old
    turns along, and the old turn is not sent."""
    counts: list = []
    held: list = []

    def hold_the_third(route) -> None:
        counts.append(route)
        if len(counts) == 3:
            held.append(route)
        else:
            route.continue_()

    page.route("**/tokenize", hold_the_third)
    send(page, f"{QUESTION} Frage 1.")
    page.get_by_label("Ihre Nachricht").fill(f"{QUESTION} Frage 2.")
    page.get_by_role("button", name="Senden").click()
    wait_until(page, lambda: held, "the second count of the second turn")
    asked = []
    page.on("request", lambda r: asked.append(r) if "chat/completions" in r.url else None)
    page.get_by_role("button", name="Neue Unterhaltung").click()
    held[0].continue_()
    assert send(page, "Der Hund liebt das Buch.") == [
        {"role": "user", "content": "Der Hund liebt das Buch."}
    ]
    assert len(asked) == 1  # only the new question: the old turn went nowhere
    assert page.locator(".turn.user").all_inner_texts() == ["Sie: Der Hund liebt das Buch."]
    assert page.locator("#chat-log .note").count() == 0


def test_a_count_refused_once_is_tried_again_on_the_next_turn(page) -> None:
    """Only a server without the route counts never; a refusal (too many requests) is once."""
    asked: list[str] = []

    def refuse_the_first(route) -> None:
        asked.append(route.request.url)
        if len(asked) > 1:
            route.continue_()
            return
        error = {"error": {"message": "zu viele Anfragen", "code": "rate_limit_exceeded"}}
        route.fulfill(status=429, content_type="application/json", body=json.dumps(error))

    page.route("**/tokenize", refuse_the_first)
    send(page, "Die Katze sieht den Garten.")
    assert page.locator("#chat-status").inner_text() == ""  # the turn went on without the count
    send(page, "Der Hund liebt das Buch.")
    assert len(asked) > 1  # counted again (more than once, where the answer was long)


def test_sending_while_the_model_writes_says_again_that_it_writes(page) -> None:
    """A second Ctrl+Enter during an answer is not silent: the status is said again (emptied,
    then filled: the same words unchanged are no news to a screen reader)."""
    held: list = []
    page.route("**/v1/chat/completions", lambda route: held.append(route))
    page.evaluate(
        """() => {
          const status = document.getElementById('chat-status');
          window.said = [];
          new MutationObserver(() => window.said.push(status.textContent))
            .observe(status, {childList: true, characterData: true, subtree: true});
        }"""
    )
    box = page.get_by_label("Ihre Nachricht")
    box.fill("Die Katze sieht den Garten.")
    box.press("Control+Enter")
    wait_until(page, lambda: held, "the question to be sent")
    box.fill("Der Hund liebt das Buch.")
    box.press("Control+Enter")
    page.wait_for_function("window.said.length >= 3", timeout=5_000)
    assert page.evaluate("window.said") == [BUSY, "", BUSY]
    assert box.input_value() == "Der Hund liebt das Buch."  # kept, to send when the answer is in
    assert page.locator(".turn.user").count() == 1
    held[0].continue_()
    page.wait_for_function("document.getElementById('chat-status').textContent === ''")
    assert axe_violations(page) == []


def test_an_answer_without_text_is_said_and_offers_no_report(page) -> None:
    """The tiny model now and then ends an answer at once. The page offered a report of such
    an answer, whose form could never be sent (the answer is a required field, as on the
    server): the report's thanks never came, and a test waited for them in vain. Now the page
    says that the model wrote no answer, and offers no report. The stream, as the server sends
    one that ends at once, replaces the model's."""
    events = [
        {"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    stream = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    page.route(
        "**/v1/chat/completions",
        lambda route: route.fulfill(content_type="text/event-stream", body=stream),
    )
    send(page, "Die Katze sieht den Garten.")
    said = page.locator("#chat-status").inner_text()
    assert said == "Das Modell hat keine Antwort geschrieben."
    assert page.locator(".turn.assistant").count() == 1
    assert page.locator("button.report").count() == 0


def test_the_language_switch_keeps_the_whole_log_and_what_the_model_is_sent(page) -> None:
    """The log shows the turns left out of the context, and says where: in the other language
    too; the model is still sent only the turns that fit."""
    send(page, f"{QUESTION} Frage 1.")
    send(page, f"{QUESTION} Frage 2.")  # the two do not fit together: the first is left out
    assert page.locator("#chat-log .note").count() == 1
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/?lang=en")
    page.get_by_text("Signed in. Model: winzig").wait_for()
    log = page.locator("#chat-log > *")
    kinds = log.evaluate_all("entries => entries.map(e => e.className)")
    assert kinds == ["turn user", "turn assistant", "note", "turn user", "turn assistant"]
    assert log.nth(0).inner_text() == f"You: {QUESTION} Frage 1."
    assert log.nth(2).inner_text() == (
        "Older messages were left out: the model can read only so much text at once."
    )
    assert page.locator(".turn.assistant button.report").count() == 2
    page.get_by_label("Your message").fill("Die Katze sieht den Garten.")
    with page.expect_request("**/tokenize") as counted:  # the conversation before it is trimmed
        page.get_by_role("button", name="Send").click()
    messages = counted.value.post_data_json["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[0]["content"] == f"{QUESTION} Frage 2."
    page.wait_for_function("document.getElementById('chat-status').textContent === ''")
    assert axe_violations(page) == []


def test_a_server_without_collections_trace_or_findings_is_not_asked_for_them(
    browser, model_dir: Path
) -> None:
    """The page asks only for what the server was started with: no request that can only
    fail (a 404 in the browser's console each), and no report button whose report could not
    be sent."""
    with running_server(create_app(TransformersBackend(model_dir, model_name="winzig"))) as url:
        _ask_only_for_what_is_there(browser, url)


def _ask_only_for_what_is_there(browser, url: str) -> None:
    context = browser.new_context(locale="de-DE", bypass_csp=True)  # for wait_for_function
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT)
    failed: list[str] = []
    opened.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    opened.on("console", lambda m: failed.append(m.text) if m.type == "error" else None)
    opened.goto(url + "/")
    opened.get_by_text("Angemeldet. Modell: winzig").wait_for()
    send(opened, "Die Katze sieht den Garten.")
    opened.locator(".turn.assistant").first.wait_for()
    assert opened.locator("button.report").count() == 0
    opened.get_by_role("button", name="Dokumente").click()
    said = opened.locator("#documents-status").inner_text()
    assert said == "Dieser Server hat keine Dokumentsammlungen."
    assert failed == []
    context.close()
