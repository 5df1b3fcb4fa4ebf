"""A 429 for a day's tokens advises asking for fewer max_tokens only where a smaller request
could fit: with all of the day's tokens used or reserved (a limit lowered below what was used,
19.429 of 300), no answer fits however short, and it said "fragen Sie weniger max_tokens an"
all the same; now it says that none are left and when the day begins anew."""

from __future__ import annotations

import openai
import pytest

from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import authenticate, create_key, utcnow
from gemeingut.serve.gateway.quotas import reserve, set_limits
from tests.serve.conftest import MODEL_NAME


def _refusal(url: str, key: str, language: str) -> str:
    client = openai.OpenAI(
        base_url=f"{url}/v1",
        api_key=key,
        max_retries=0,
        default_headers={"Accept-Language": language},
    )
    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(
            model=MODEL_NAME, messages=[{"role": "user", "content": "Hallo"}], max_tokens=20
        )
    return refused.value.body["message"]


def test_no_fewer_max_tokens_where_none_are_left(governed: tuple[str, Gateway]) -> None:
    url, gateway = governed
    engine = gateway.engine
    _, key = create_key(engine, "anna")
    set_limits(engine, "user", "anna", tokens_per_day=1000)
    reserve(engine, authenticate(engine, key), 900, stream=False, now=utcnow())  # running
    set_limits(engine, "user", "anna", tokens_per_day=300)  # lowered below what is taken

    english = _refusal(url, key, "en")
    assert "900 of 300 tokens are used or reserved today, none are left; wait until" in english
    assert "max_tokens" not in english
    german = _refusal(url, key, "de")
    assert "900 von 300" in german and "max_tokens" not in german

    set_limits(engine, "user", "anna", tokens_per_day=910)  # 10 left: a shorter answer may fit
    assert "fewer max_tokens" in _refusal(url, key, "en")
