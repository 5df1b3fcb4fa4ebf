"""A chat turn the server refuses stays in the log, as a chat client shows a failed turn: the
question, and under it why, marked as an error in words (not by colour alone), also said in the
status line (`role="status"`), the question back in the box to send again. Before, the log
showed nothing of it: a person reading the log later, or with a screen reader, could not see
that the question was asked and refused. The refused question is no part of what the model is
sent next. One way for every refusal of a turn: here a daily allowance smaller than the request
and no requests per minute (429), with real limits on a served gateway; a question too long for
the context (400): test_chat.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.policy import Policy
from gemeingut.serve.gateway.quotas import set_limits
from tests.apps.web.citing import signed_in_page
from tests.apps.web.conftest import axe_violations, sign_in
from tests.http_server import running_server

BUSY = ("Das Modell schreibt …", "The model is writing …")
CHAT = "/v1/chat/completions"
ASK = "wenden Sie sich an die Administration."
NEVER = (
    f"Ihr Tageskontingent (5 Tokens) ist kleiner, als diese Anfrage braucht; Warten hilft also "
    f"nicht – {ASK}"
)
NO_REQUESTS = f"Für Sie sind derzeit keine Anfragen freigegeben – {ASK}"


def _send(page, message: str, send: str = "Senden") -> str:
    """The chat's status once `message` is answered ("") or refused (why)."""
    page.locator("#message").fill(message)
    page.get_by_role("button", name=send).click()
    status = "busy => !busy.includes(document.getElementById('chat-status').textContent)"
    page.wait_for_function(status, arg=list(BUSY))
    return page.locator("#chat-status").inner_text()


def _log(page) -> list[tuple[str, str]]:
    """The log's entries: their kind and text."""
    return page.locator("#chat-log > *").evaluate_all(
        "entries => entries.map(e => [e.className, e.innerText])"
    )


def test_a_refused_turn_stays_in_the_log_and_is_not_sent_again(page, site: dict) -> None:
    engine = site["engine"]
    add_user(engine, "rita")
    key_id, key = create_key(engine, "rita")
    set_limits(engine, "user", "rita", tokens_per_day=5)  # less than any request needs
    sign_in(page, site, key)
    assert _send(page, "Hallo") == NEVER
    assert _log(page) == [
        ["turn user", "Sie: Hallo"],
        ["turn refusal", f"Fehler – nicht beantwortet: {NEVER}"],  # in place of an answer
    ]
    marked = page.locator(".turn.refusal strong.error")  # in words, and in the page's error red
    assert marked.inner_text() == "Fehler – nicht beantwortet: "
    assert page.locator("#message").input_value() == "Hallo"  # to send again
    assert axe_violations(page) == []
    # another refusal of a turn, by another limit: the same way
    set_limits(engine, "user", "rita", tokens_per_day=None, requests_per_minute=0)
    assert _send(page, "Hallo") == NO_REQUESTS
    assert [kind for kind, _text in _log(page)] == ["turn user", "turn refusal"] * 2
    assert _log(page)[-1][1] == f"Fehler – nicht beantwortet: {NO_REQUESTS}"
    # the limits lifted: the next question goes alone, without the refused ones before it
    set_limits(engine, "user", "rita", requests_per_minute=None)
    with page.expect_request(f"**{CHAT}") as sent:
        assert _send(page, "Danke") == ""
    assert sent.value.post_data_json["messages"] == [{"role": "user", "content": "Danke"}]
    assert [kind for kind, _text in _log(page)] == [
        "turn user", "turn refusal", "turn user", "turn refusal", "turn user", "turn assistant"
    ]  # fmt: skip
    statuses = [r["status"] for r in export(engine, key_id=key_id) if r["route"] == CHAT]
    assert statuses == [429, 429, 200]  # each refused once, by the server's real limits
    # in English: the log as it was, each refusal marked as said in German; a new one in English
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/?lang=en")
    page.get_by_text("Signed in. Model: winzig").wait_for()
    shown = _log(page)
    assert shown[1] == ["turn refusal", f"Error – not answered: {NEVER}"]
    assert page.locator(".turn.refusal span").evaluate_all("s => s.map(e => e.lang)") == [
        "de", "de"
    ]  # fmt: skip
    set_limits(engine, "user", "rita", tokens_per_day=0)
    said = _send(page, "Thanks", send="Send")
    assert said == "Your daily allowance is 0 tokens: contact your administration."
    assert _log(page)[-2:] == [
        ["turn user", "You: Thanks"],
        ["turn refusal", f"Error – not answered: {said}"],
    ]
    assert page.locator(".turn.refusal span").last.get_attribute("lang") == "en"
    assert axe_violations(page) == []


POLICY_FILE = """\
id: amt
version: "1"
title: {de: "Richtlinie des Amts", en: "The office's policy"}
rules:
  - id: vs.nfd
    kind: keywords
    action: refuse
    title: {de: "Verschlusssachen", en: "Classified information"}
    words: ["Verschlusssache"]
    text:
      de: Eingestufte Unterlagen gehören nicht in ein Sprachmodell.
      en: Classified documents do not belong in a language model.
"""
REFUSED_BY_RULE = (
    "Abgelehnt nach der Regel „Verschlusssachen“ (vs.nfd) der Richtlinie: Eingestufte Unterlagen "
    "gehören nicht in ein Sprachmodell."
)
RULE_LINK = "Die Regel „vs.nfd“ in der Richtlinie lesen"


@pytest.fixture(scope="module")
def guarded(long_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tiny model served with a policy that refuses a keyword, on loopback: no key."""
    path = tmp_path_factory.mktemp("policy") / "amt.yaml"
    path.write_text(POLICY_FILE, encoding="utf-8")
    backend = TransformersBackend(long_model_dir, model_name="winzig")
    with running_server(create_app(backend, policy=Policy.load(path))) as url:
        yield url


def test_a_turn_refused_by_a_rule_links_to_it_and_carries_its_words(browser, guarded) -> None:
    """The refusal in the log links to its rule, as the status line does; the language switch
    carries its words without the link (whose text would be an instruction with nothing to
    click)."""
    for page in signed_in_page(browser, guarded):
        page.locator("#message").fill("Fasse die Verschlusssache zusammen.")
        page.get_by_role("button", name="Senden").click()
        page.locator("#chat-status").get_by_role("link", name=RULE_LINK).wait_for()
        refusal = page.locator(".turn.refusal")
        assert refusal.inner_text() == f"Fehler – nicht beantwortet: {REFUSED_BY_RULE} {RULE_LINK}"
        refusal.get_by_role("link", name=RULE_LINK).click()
        page.wait_for_function("() => document.activeElement.id === 'rule-vs.nfd'")
        page.get_by_role("button", name="Chat").click()
        page.get_by_role("link", name="English").click()
        page.wait_for_url("**/?lang=en")
        page.get_by_text("Signed in. Model: winzig").wait_for()
        assert _log(page) == [
            ["turn user", "You: Fasse die Verschlusssache zusammen."],
            ["turn refusal", f"Error – not answered: {REFUSED_BY_RULE}"],
        ]
        assert axe_violations(page) == []
