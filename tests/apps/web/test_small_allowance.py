"""A small daily token allowance on the page. Before, the page always asked for a 200-token
answer (and the documents' answer for 400), so someone whose allowance held a few dozen tokens
beside the prompt could never chat: the server reserved prompt and answer, and refused. Now
the page asks again for the chat's answer the allowance holds, computed from the refusal's own
numbers, and says that it is limited (an answer from the documents and a draft the server
shortens itself, and says so); where not even a short answer fits, the quota's message stays.
The server's reservation decides each time: the numbers are checked against its audit records
and counters."""

from __future__ import annotations

import httpx
import pytest

from gemeingut.apps.assistants.allowance import LEAST_ANSWER_TOKENS
from gemeingut.apps.assistants.drafts import MEMO_SECTION_TOKENS
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.identity import add_user, authenticate, create_key, utcnow
from gemeingut.serve.gateway.quotas import reserve, set_limits, usage
from tests.apps.web.conftest import axe_violations, sign_in
from tests.server_zone import berlin, reset_said  # noqa: F401 (a fixture)

BUSY = "Das Modell schreibt …"
CHAT = "/v1/chat/completions"
QUESTION = "Wie lange ist die Frist für den Eingang der Angebote?"


def _chat(page, message: str = "Hallo") -> str:
    """The chat's status once `message` is answered or refused, in a new conversation."""
    page.get_by_role("button", name="Neue Unterhaltung").click()
    page.get_by_label("Ihre Nachricht").fill(message)
    page.get_by_role("button", name="Senden").click()
    page.wait_for_function(f"() => document.getElementById('chat-status').textContent !== {BUSY!r}")
    return page.locator("#chat-status").inner_text()


def _person(page, site: dict, user: str, tokens_per_day: int, groups=()) -> tuple[str, str]:
    """A person with a daily allowance of `tokens_per_day`, signed in: their key id and key."""
    add_user(site["engine"], user, tuple(groups))
    key_id, key = create_key(site["engine"], user)
    set_limits(site["engine"], "user", user, tokens_per_day=tokens_per_day)
    sign_in(page, site, key)
    return key_id, key


def _calls(site: dict, key_id: str, route: str) -> list[dict]:
    """The audit records of `route` of one key."""
    return [r for r in export(site["engine"], key_id=key_id) if r["route"] == route]


def _statuses(site: dict, key_id: str, route: str) -> list[int]:
    return [r["status"] for r in _calls(site, key_id, route)]


def _limited(tokens: int) -> str:
    return (
        f"Ihr Tageskontingent begrenzt diese Antwort auf {tokens} Tokens; sie kann mitten im "
        "Satz enden."
    )


def test_a_small_allowance_chats_with_a_shorter_answer_and_says_so(page, site: dict) -> None:
    key_id, _key = _person(page, site, "lea", tokens_per_day=150)
    said = _chat(page)
    refused, answered = _calls(site, key_id, CHAT)
    assert (refused["status"], answered["status"]) == (429, 200)  # 200 tokens, then fewer
    fits = 150 - answered["prompt_tokens"]  # all the allowance held beside the prompt
    assert fits < 200 and said == _limited(fits)
    assert 1 <= answered["completion_tokens"] <= fits
    assert page.locator(".turn.assistant span").inner_text()  # the answer is there
    today = usage(site["engine"], "user", "lea", utcnow())
    assert today["tokens_today"] <= 150 and today["tokens_reserved"] == 0
    assert axe_violations(page) == []
    # in English, for a group's shared allowance
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/?lang=en")
    page.get_by_text("Signed in. Model: winzig").wait_for()
    shared = "{quota: {whose: 'group', group: 'einkauf'}, tokens: 1234}"
    assert page.evaluate(f"limitedSaid({shared})") == (
        "The daily allowance your group “einkauf” shares limits this answer to 1,234 tokens: "
        "it may end mid-sentence."
    )


@pytest.mark.usefixtures("berlin")  # the reset in the server's local time
def test_too_small_an_allowance_keeps_the_quota_message(page, site: dict) -> None:
    key_id, key = _person(page, site, "max", tokens_per_day=1_000)
    assert _chat(page) == ""  # the allowance holds the whole answer: nothing to say
    [answered] = _calls(site, key_id, CHAT)
    prompt = answered["prompt_tokens"]  # of the same question in a new conversation
    # left: the prompt and the shortest useful answer, which it gets
    held = 1_000 - _taken_today(site, "max") - (prompt + LEAST_ANSWER_TOKENS)
    reserve(site["engine"], authenticate(site["engine"], key), held, stream=False, now=utcnow())
    assert _chat(page) == _limited(LEAST_ANSWER_TOKENS)
    # left: the prompt and one token fewer: the quota's message, as before
    taken = _taken_today(site, "max")
    limit = taken + prompt + LEAST_ANSWER_TOKENS - 1
    set_limits(site["engine"], "user", "max", tokens_per_day=limit)
    german = {name: f"{n:,}".replace(",", ".") for name, n in (("taken", taken), ("limit", limit))}
    assert _chat(page) == (
        f"Ihr Tageskontingent reicht für diese Anfrage nicht ({german['taken']} von "
        f"{german['limit']} Tokens heute verbraucht); es gilt wieder ab {reset_said('de')} – "
        "wenden Sie sich sonst an die Administration."
    )
    # refused once: no shorter answer was asked
    assert _statuses(site, key_id, CHAT) == [200, 429, 200, 429]
    assert page.get_by_label("Ihre Nachricht").input_value() == "Hallo"  # to send again
    assert axe_violations(page) == []


def _taken_today(site: dict, user: str) -> int:
    today = usage(site["engine"], "user", user, utcnow())
    return today["tokens_today"] + today["tokens_reserved"]


def test_an_answer_from_the_documents_fits_the_allowance(page, site: dict) -> None:
    key_id, key = _person(page, site, "ida", tokens_per_day=1, groups=["einkauf"])
    probe = httpx.post(
        f"{site['url']}/v1/collections/vergabe/answer",
        json={"question": QUESTION, "max_tokens": 400},
        headers={"authorization": f"Bearer {key}"},
        timeout=60,
    )
    prompt = probe.json()["error"]["quota"]["requested"] - 400
    set_limits(site["engine"], "user", "ida", tokens_per_day=prompt + 30)
    page.get_by_role("button", name="Dokumente").click()
    page.get_by_label("Frage").fill(QUESTION)
    page.get_by_role("button", name="Antwort aus den Dokumenten").click()
    page.locator("#answer-heading").wait_for()
    assert page.locator("#documents-status").inner_text() == (
        "Kürzer als erbeten: Das Tageskontingent reichte für diese Antwort nur für 30 Tokens."
    )
    # the probe; the page's at the server's 400, which the server asks again for with the 30
    assert _statuses(site, key_id, "/v1/collections/vergabe/answer") == [429, 429, 200]
    assert axe_violations(page) == []


def test_a_memo_is_written_as_far_as_the_allowance_holds_it(page, site: dict) -> None:
    _key_id, key = _person(page, site, "ina", tokens_per_day=1, groups=["einkauf"])
    memo = {"kind": "vermerk", "collection": "vergabe", "subject": "Frist für Angebote"}
    probe = httpx.post(
        f"{site['url']}/v1/assist/draft",
        json=memo,
        headers={"authorization": f"Bearer {key}"},
        timeout=60,
    )
    prompt = probe.json()["error"]["quota"]["requested"] - MEMO_SECTION_TOKENS
    set_limits(site["engine"], "user", "ina", tokens_per_day=prompt + 40)
    page.get_by_role("button", name="Vermerk oder Rede").click()
    page.get_by_label("Thema").fill(memo["subject"])
    page.get_by_role("button", name="Entwurf schreiben").click()
    page.locator("#draft-title").wait_for()
    first, second, third = page.locator("#draft-sections section").all()
    assert first.locator(".warning").first.inner_text() == (
        "Kürzer als geplant: Das Tageskontingent reichte für diesen Teil nur für 40 Tokens."
    )
    for part in (second, third):
        assert part.locator("p").first.inner_text() == "Dieser Teil wurde nicht geschrieben."
        # why, once, and not as a part "without evidence"
        assert part.locator(".warning").inner_text() == (
            "Das Tageskontingent an Tokens reicht für diesen Teil nicht mehr."
        )
    assert axe_violations(page) == []
