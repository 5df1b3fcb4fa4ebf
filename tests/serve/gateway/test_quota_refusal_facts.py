"""A 429 says in fields what its message says in words: which limit (`param`), whose kind of
limit, its numbers and whether waiting can help, so that a client (and the web page) need not
parse the message; the official `openai` client still reads it as a `RateLimitError`, and does
not ask again on its own where waiting cannot help."""

from __future__ import annotations

import httpx
import openai
import pytest

from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import (
    authenticate,
    create_key,
    utcnow,
)
from gemeingut.serve.gateway.quotas import BLOCKED_RETRY_AFTER, reserve, set_limits
from tests.serve.conftest import MODEL_NAME


def _ask(url: str, key: str, max_tokens: int = 4, stream: bool = False) -> httpx.Response:
    body = {
        "model": MODEL_NAME,
        "messages": [{"role": "user", "content": "Hallo"}],
        "max_tokens": max_tokens,
        "stream": stream,
    }
    headers = {"authorization": f"Bearer {key}"}
    return httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=60)


def _refused(response: httpx.Response) -> tuple[str, dict]:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert error["code"] == "rate_limit_exceeded" and error["type"] == "rate_limit_error"
    return error["param"], error["quota"]


def test_a_daily_refusal_gives_its_numbers_and_whether_waiting_helps(
    governed: tuple[str, Gateway],
) -> None:
    url, gateway = governed
    engine = gateway.engine
    _, key = create_key(engine, "anna")
    set_limits(engine, "user", "anna", tokens_per_day=150)
    reserve(engine, authenticate(engine, key), 140, stream=False, now=utcnow())  # still running
    with pytest.raises(openai.RateLimitError) as refused:  # the official client reads it
        openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0).chat.completions.create(
            model=MODEL_NAME, messages=[{"role": "user", "content": "Hallo"}], max_tokens=40
        )
    error = refused.value
    assert (error.code, error.param, error.type) == (
        "rate_limit_exceeded",
        "tokens_per_day",
        "rate_limit_error",
    )
    facts = error.body["quota"]
    needed = facts.pop("requested")
    assert 40 < needed <= 150  # the prompt and the longest answer: it fits into a day
    assert facts == {
        "whose": "user",
        "group": None,
        "limit": 150,
        "used": 0,
        "reserved": 140,
        "waiting_helps": True,
    }
    assert "x-should-retry" not in error.response.headers

    param, facts = _refused(_ask(url, key, max_tokens=200))  # more than a whole day
    assert param == "tokens_per_day" and facts["requested"] >= 200
    assert facts["waiting_helps"] is False


def test_where_waiting_cannot_help_the_openai_client_does_not_ask_again(
    governed: tuple[str, Gateway],
) -> None:
    """A limit of 0 answered `Retry-After: 60`, and the client (which retries a 429 by
    default) waited that minute twice for the same refusal: `x-should-retry: false`."""
    url, gateway = governed
    engine = gateway.engine
    key_id, key = create_key(engine, "anna")
    set_limits(engine, "key", key_id, tokens_per_day=0)
    patient = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=1)
    with pytest.raises(openai.RateLimitError) as refused:
        patient.chat.completions.create(
            model=MODEL_NAME, messages=[{"role": "user", "content": "Hallo"}], max_tokens=4
        )
    headers = refused.value.response.headers
    assert headers["x-should-retry"] == "false"
    assert headers["retry-after"] == str(BLOCKED_RETRY_AFTER)
    assert refused.value.body["quota"] == {
        "whose": "key",
        "group": None,  # the key's id is in the message only, as before
        "limit": 0,
        "used": 0,
        "reserved": 0,
        "requested": refused.value.body["quota"]["requested"],
        "waiting_helps": False,
    }
    asked = [r for r in export(engine) if r["decision"] == "quota:tokens_per_day"]
    assert len(asked) == 1  # asked once, not again


@pytest.mark.usefixtures("fresh_minute")
def test_a_groups_shared_limits_name_the_group_and_no_member(
    governed: tuple[str, Gateway],
) -> None:
    url, gateway = governed
    engine = gateway.engine
    key_id, key = create_key(engine, "anna")
    set_limits(engine, "group", "schule", concurrent_streams=1)
    reserve(engine, authenticate(engine, key), 0, stream=True, now=utcnow())  # an open stream
    param, facts = _refused(_ask(url, key, stream=True))
    assert param == "concurrent_streams"
    assert facts == {
        "whose": "group",
        "group": "schule",
        "limit": 1,
        "used": 1,
        "reserved": 0,
        "requested": 1,
        "waiting_helps": True,
    }
    set_limits(engine, "group", "schule", requests_per_minute=1)
    assert _ask(url, key).status_code == 200  # not a stream: the open one does not hold it
    response = _ask(url, key)
    param, facts = _refused(response)
    assert param == "requests_per_minute" and 1 <= int(response.headers["retry-after"]) <= 60
    assert (facts["whose"], facts["group"], facts["limit"], facts["used"]) == (
        "group",
        "schule",
        1,
        1,
    )
    assert "anna" not in str(facts) and key_id not in str(facts)
    set_limits(engine, "group", "schule", requests_per_minute=None, concurrent_streams=None)
    set_limits(engine, "member", "schule", requests_per_minute=0)  # the same for each member
    param, facts = _refused(_ask(url, key))
    assert (param, facts["whose"], facts["group"], facts["waiting_helps"]) == (
        "requests_per_minute",
        "member",
        "schule",
        False,
    )
