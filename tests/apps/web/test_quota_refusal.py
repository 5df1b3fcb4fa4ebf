"""A used-up limit (429) on the page reads as a person understands it: which allowance, how much
of it is used, and whether waiting helps, from the 429's own fields (`param`, `quota`); never
the API's `tokens_per_day` or `max_tokens`, which the page has no control for. Nothing depends
on the time of day: whether waiting helps is the server's `waiting_helps`."""

from __future__ import annotations

import re

import pytest

from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.identity import add_user, authenticate, create_key, utcnow
from gemeingut.serve.gateway.quotas import reserve, set_limits, usage
from tests.apps.web.conftest import axe_violations, sign_in
from tests.serve.gateway.conftest import fresh_minute  # noqa: F401 (a fixture)
from tests.server_zone import berlin, reset_said  # noqa: F401 (a fixture)

BUSY = "Das Modell schreibt …"
ASK = "wenden Sie sich an die Administration."


def _chat(page, message: str = "Hallo") -> str:
    """The chat's status after `message`, in a new conversation: "" once answered."""
    page.get_by_role("button", name="Neue Unterhaltung").click()
    page.get_by_label("Ihre Nachricht").fill(message)
    page.get_by_role("button", name="Senden").click()
    # the status says the model writes until the answer is whole ("") or refused (why)
    page.wait_for_function(f"() => document.getElementById('chat-status').textContent !== {BUSY!r}")
    return page.locator("#chat-status").inner_text()


def _hold(engine, key: str, tokens: int = 0, stream: bool = False) -> None:
    """What a request of `key` that is still running holds: its tokens, a request of this
    minute, and for a stream an open stream's place."""
    reserve(engine, authenticate(engine, key), tokens, stream=stream, now=utcnow())


def _taken_today(engine, user: str) -> int:
    today = usage(engine, "user", user, utcnow())
    return today["tokens_today"] + today["tokens_reserved"]


def _signed_in(page, site: dict, user: str) -> str:
    add_user(site["engine"], user)
    key = create_key(site["engine"], user)[1]
    sign_in(page, site, key)
    return key


@pytest.mark.usefixtures("berlin")  # the reset in the server's local time
def test_a_used_up_daily_allowance_is_said_in_the_pages_words(page, site: dict) -> None:
    engine = site["engine"]
    key = _signed_in(page, site, "bea")
    set_limits(engine, "user", "bea", tokens_per_day=1_000)
    assert _chat(page) == ""  # answered: the allowance holds it
    used = _taken_today(engine, "bea")
    # 10 left: not even the prompt (a shorter answer is asked for where the allowance holds it:
    # test_small_allowance.py)
    _hold(engine, key, tokens=990 - used)
    assert _chat(page) == (
        "Ihr Tageskontingent reicht für diese Anfrage nicht (990 von 1.000 Tokens heute "
        f"verbraucht); es gilt wieder ab {reset_said('de')} – wenden Sie sich sonst an die "
        "Administration."
    )
    assert page.get_by_label("Ihre Nachricht").input_value() == "Hallo"  # to send again
    assert axe_violations(page) == []
    # smaller than the request alone: tomorrow is no better
    set_limits(engine, "user", "bea", tokens_per_day=60)
    assert _chat(page) == (
        "Ihr Tageskontingent (60 Tokens) ist kleiner, als diese Anfrage braucht; Warten hilft "
        f"also nicht – {ASK}"
    )
    set_limits(engine, "user", "bea", tokens_per_day=0)
    assert _chat(page) == f"Ihr Tageskontingent beträgt 0 Tokens – {ASK}"


@pytest.mark.usefixtures("berlin")
def test_a_groups_shared_allowance_is_said_as_the_groups(page, site: dict) -> None:
    engine = site["engine"]
    sign_in(page, site)  # eva, of einkauf
    set_limits(engine, "group", "einkauf", tokens_per_day=10_000)
    _hold(engine, site["key"], tokens=9_950)  # 50 left: the prompt and a shorter answer
    said = _chat(page)
    answered = [r for r in export(engine) if r["route"] == "/v1/chat/completions"][-1]
    assert said == (
        "Das gemeinsame Tageskontingent Ihrer Gruppe „einkauf“ begrenzt diese Antwort auf "
        f"{50 - answered['prompt_tokens']} Tokens; sie kann mitten im Satz enden."
    )
    today = usage(engine, "group", "einkauf", utcnow())
    taken = today["tokens_today"] + today["tokens_reserved"]
    _hold(engine, site["key"], tokens=9_990 - taken)  # 10 left: not even the prompt
    assert _chat(page) == (
        "Das gemeinsame Tageskontingent Ihrer Gruppe „einkauf“ reicht für diese Anfrage nicht "
        f"(9.990 von 10.000 Tokens heute verbraucht); es gilt wieder ab {reset_said('de')} – "
        "wenden Sie sich sonst an die Administration."
    )
    set_limits(engine, "group", "einkauf", tokens_per_day=None)
    set_limits(engine, "member", "einkauf", tokens_per_day=0)  # the same for each member
    assert _chat(page) == f"Ihr Tageskontingent beträgt 0 Tokens – {ASK}"
    set_limits(engine, "member", "einkauf", tokens_per_day=None)


@pytest.mark.usefixtures("fresh_minute")
def test_used_up_requests_and_streams_are_said_in_the_pages_words(page, site: dict) -> None:
    engine = site["engine"]
    key = _signed_in(page, site, "udo")
    set_limits(engine, "user", "udo", requests_per_minute=1)
    _hold(engine, key)  # the minute's one request
    said = _chat(page)
    waited = re.fullmatch(
        r"Die erlaubten Anfragen pro Minute \(1\) sind aufgebraucht; versuchen Sie es in "
        r"(\d+) s wieder\.",
        said,
    )
    assert waited and 1 <= int(waited[1]) <= 60, said
    set_limits(engine, "user", "udo", requests_per_minute=0)
    assert _chat(page) == f"Für Sie sind derzeit keine Anfragen freigegeben – {ASK}"
    set_limits(engine, "user", "udo", requests_per_minute=None, concurrent_streams=1)
    _hold(engine, key, stream=True)  # the one stream allowed is open
    assert _chat(page) == (
        "Es werden schon so viele Antworten gleichzeitig für Sie geschrieben, wie erlaubt sind "
        "(1); warten Sie, bis eine fertig ist."
    )
    set_limits(engine, "user", "udo", concurrent_streams=0)
    assert _chat(page) == (
        f"Antworten, die nach und nach erscheinen, sind für Sie nicht freigegeben – {ASK}"
    )
