"""OpenAI's `x-ratelimit-*` headers, so that a client can slow down before its 429.

The numbers are the reservation's own: what the request left of the tightest limit that
applies to it, with the time until that limit's window (the minute; the UTC day) begins anew,
as OpenAI writes a duration. On answers and streams alike (a stream's headers go out before its
first event), on a 429 of a full limit, and on nothing where no such limit applies. Read with
the official `openai` client, over real HTTP, on SQLite and PostgreSQL; through an engine
behind the gateway the numbers come from the same reservation, and it costs no statement more.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

import openai
import pytest
from fastapi import FastAPI

from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import create_key, utcnow
from gemeingut.serve.gateway.quotas import set_limits
from gemeingut.serve.gateway.rate_headers import duration
from tests.serve.gateway.test_gateway_round_trips import (
    ANSWER,
    HELLO,
    counting_database_calls,
    counting_hand_offs,
    counting_statements,
    limited_through_an_engine,
)

Serve = Callable[[FastAPI], AbstractContextManager[str]]
REQUESTS = ("x-ratelimit-limit-requests", "x-ratelimit-remaining-requests")
TOKENS = ("x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens")
RESETS = ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens")
ALL = (*REQUESTS, *TOKENS, *RESETS)
# OpenAI's (Go's) notation: `12ms`, `1s`, `6m0s`, `13h42m7.5s`.
DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(\d+(?:\.\d+)?)s|(\d+)ms")
PROMPT = [{"role": "user", "content": "Die Katze sieht den Garten."}]
MAX_TOKENS = 5


def seconds(text: str) -> float:
    match = DURATION.fullmatch(text)
    assert match is not None, text
    hours, minutes, secs, millis = match.groups()
    if millis is not None:
        return int(millis) / 1000
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(secs)


def until_midnight(now: datetime) -> float:
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now).total_seconds()


def until_next_minute(now: datetime) -> float:
    return (now.replace(second=0, microsecond=0) + timedelta(minutes=1) - now).total_seconds()


def figures(headers) -> dict[str, str]:
    return {name: headers[name] for name in ALL if name in headers}


def test_durations_are_written_as_openai_writes_them() -> None:
    assert [duration(s) for s in (0, 0.012, 0.9994, 1, 8.64, 59.999, 360, 3600)] == [
        "0s",
        "12ms",
        "1s",  # up to the next millisecond: waiting that long finds the window new
        "1s",
        "8.64s",
        "59.999s",
        "6m0s",
        "1h0m0s",
    ]
    assert duration(13 * 3600 + 42 * 60 + 7.5) == "13h42m7.5s"
    assert duration(-3) == "0s"  # a window that ended while the answer was written


def test_headers_count_down_with_each_request_from_the_tightest_limit(
    governed: tuple[str, Gateway], fresh_minute: None
) -> None:
    url, gateway = governed
    engine = gateway.engine
    key_id, key = create_key(engine, "anna")
    set_limits(engine, "key", key_id, requests_per_minute=50, tokens_per_day=100_000)
    set_limits(engine, "user", "anna", requests_per_minute=5)  # fewer requests left: reported
    set_limits(engine, "group", "schule", tokens_per_day=3_000)  # fewer tokens left: reported
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
    used = 0  # tokens of the answers so far, as their usage says
    for n in range(1, 4):
        before = utcnow()
        raw = client.chat.completions.with_raw_response.create(
            model="tiny-llama", messages=PROMPT, max_tokens=MAX_TOKENS
        )
        after = utcnow()
        usage = raw.parse().usage
        reserved = usage.prompt_tokens + MAX_TOKENS  # the prompt and the longest answer
        got = figures(raw.headers)
        assert {name: got[name] for name in (*REQUESTS, *TOKENS)} == {
            "x-ratelimit-limit-requests": "5",
            "x-ratelimit-remaining-requests": str(5 - n),
            "x-ratelimit-limit-tokens": "3000",
            "x-ratelimit-remaining-tokens": str(3_000 - used - reserved),
        }
        requests_reset = seconds(got["x-ratelimit-reset-requests"])
        assert until_next_minute(after) <= requests_reset <= until_next_minute(before) + 0.001
        tokens_reset = seconds(got["x-ratelimit-reset-tokens"])
        assert until_midnight(after) <= tokens_reset <= until_midnight(before) + 0.001
        used += usage.total_tokens


def test_a_429_carries_the_numbers_of_the_limit_that_refused_it(
    governed: tuple[str, Gateway], fresh_minute: None
) -> None:
    url, gateway = governed
    engine = gateway.engine
    key_id, key = create_key(engine, "anna")
    set_limits(engine, "key", key_id, requests_per_minute=2)
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
    for _ in range(2):
        client.chat.completions.create(model="tiny-llama", messages=PROMPT, max_tokens=1)
    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(model="tiny-llama", messages=PROMPT, max_tokens=1)
    got = figures(refused.value.response.headers)
    assert got.keys() == {*REQUESTS, "x-ratelimit-reset-requests"}
    assert (got["x-ratelimit-limit-requests"], got["x-ratelimit-remaining-requests"]) == ("2", "0")
    assert 0 < seconds(got["x-ratelimit-reset-requests"]) <= 60

    set_limits(engine, "key", key_id, requests_per_minute=None, tokens_per_day=100)
    first = client.chat.completions.create(model="tiny-llama", messages=PROMPT, max_tokens=1)
    with pytest.raises(openai.RateLimitError) as refused:  # more than the day has left
        client.chat.completions.create(model="tiny-llama", messages=PROMPT, max_tokens=90)
    got = figures(refused.value.response.headers)
    assert got.keys() == {*TOKENS, "x-ratelimit-reset-tokens"}
    left = str(100 - first.usage.total_tokens)
    assert (got["x-ratelimit-limit-tokens"], got["x-ratelimit-remaining-tokens"]) == ("100", left)
    assert seconds(got["x-ratelimit-reset-tokens"]) <= 24 * 3600


def test_no_headers_where_no_such_limit_applies(governed: tuple[str, Gateway]) -> None:
    url, gateway = governed
    _, key = create_key(gateway.engine, "anna")
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
    free = client.chat.completions.with_raw_response.create(
        model="tiny-llama", messages=PROMPT, max_tokens=1
    )
    set_limits(gateway.engine, "user", "anna", concurrent_streams=2)  # neither per minute nor day
    streams_only = client.chat.completions.with_raw_response.create(
        model="tiny-llama", messages=PROMPT, max_tokens=1, stream=True
    )
    list(streams_only.parse())
    assert figures(free.headers) == {} and figures(streams_only.headers) == {}


def test_a_streams_headers_come_before_its_first_event(
    governed: tuple[str, Gateway], fresh_minute: None
) -> None:
    url, gateway = governed
    set_limits(gateway.engine, "member", "schule", requests_per_minute=7, tokens_per_day=4_000)
    _, key = create_key(gateway.engine, "anna")
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
    with client.chat.completions.with_streaming_response.create(
        model="tiny-llama",
        messages=PROMPT,
        max_tokens=MAX_TOKENS,
        stream=True,
        stream_options={"include_usage": True},
    ) as response:
        got = figures(response.headers)  # nothing of the body read yet
        chunks = list(response.parse())
    usage = chunks[-1].usage
    assert (got["x-ratelimit-limit-requests"], got["x-ratelimit-remaining-requests"]) == ("7", "6")
    assert got["x-ratelimit-limit-tokens"] == "4000"
    assert got["x-ratelimit-remaining-tokens"] == str(4_000 - usage.prompt_tokens - MAX_TOKENS)
    assert seconds(got["x-ratelimit-reset-requests"]) <= 60


def test_through_an_engine_a_limited_stream_costs_no_statement_more(
    store_url: str, serve: Serve, monkeypatch: pytest.MonkeyPatch, fresh_minute: None
) -> None:
    """As `test_gateway_round_trips`, with limits per minute and day: the headers come from the
    reservation's own UPDATEs, so a stream takes 12 statements in 4 transactions and 5
    hand-offs (4 to the gateway's database threads, 1 to a worker thread), no more than without
    the headers (a limit in tokens reads
    the limits once more, after the prompt's tokens were counted). Each limit takes in one
    statement where its counter exists (the first request of a window makes it: two more),
    and the key's lock returns its validity (no read after it). Two of the 12 are the lease of
    what the stream holds (`leases.py`), written with the reservation and deleted with the
    settlement, so that a killed server's reservation is freed."""
    limited = limited_through_an_engine(store_url, serve, "group", "amt", tokens_per_day=10_000)
    with limited as (store, _, client):

        def stream() -> dict[str, str]:
            raw = client.chat.completions.with_raw_response.create(
                model="amt-modell",
                messages=HELLO,
                stream=True,
                stream_options={"include_usage": True},
            )
            chunks = list(raw.parse())
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            assert (text, chunks[-1].usage.total_tokens) == (ANSWER, 11)
            return figures(raw.headers)

        first = stream()  # the first use of the key also notes it
        statements = counting_statements(store)
        handed = counting_hand_offs(monkeypatch)
        called = counting_database_calls(monkeypatch)
        second = stream()
    # The key (its reading thread); the limits read; the quota with the record; the stream's
    # end (its writing thread). The tokens counted: a worker thread.
    assert called == ["identify", "reserve_uncounted", "reserve", "Admission._attempt"], called
    assert len(handed) == 1, handed
    begins = statements.count("BEGIN")
    assert (len(statements) - begins, begins) == (12, 4), statements
    # The engine has no /tokenize: a stream reserves its whole context, 512 tokens.
    assert [first["x-ratelimit-remaining-requests"], second["x-ratelimit-remaining-requests"]] == [
        "29",
        "28",
    ]
    assert [first["x-ratelimit-remaining-tokens"], second["x-ratelimit-remaining-tokens"]] == [
        str(10_000 - 512),
        str(10_000 - 11 - 512),
    ]


def test_a_429_carries_every_limit_as_a_200_would(
    governed: tuple[str, Gateway], fresh_minute: None
) -> None:
    """A refusal in tokens still tells the requests per minute, and one per minute the tokens:
    what each limit leaves without the refused request (which took nothing)."""
    url, gateway = governed
    engine = gateway.engine
    key_id, key = create_key(engine, "anna")
    set_limits(engine, "user", "anna", requests_per_minute=3, tokens_per_day=100)
    set_limits(engine, "key", key_id, requests_per_minute=50)  # more left: not reported
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
    first = client.chat.completions.create(model="tiny-llama", messages=PROMPT, max_tokens=1)
    tokens_left = str(100 - first.usage.total_tokens)
    with pytest.raises(openai.RateLimitError) as refused:  # more tokens than the day has left
        client.chat.completions.create(model="tiny-llama", messages=PROMPT, max_tokens=90)
    assert refused.value.param == "tokens_per_day"
    got = figures(refused.value.response.headers)
    assert got.keys() == set(ALL)
    assert {name: got[name] for name in (*REQUESTS, *TOKENS)} == {
        "x-ratelimit-limit-requests": "3",
        "x-ratelimit-remaining-requests": "2",
        "x-ratelimit-limit-tokens": "100",
        "x-ratelimit-remaining-tokens": tokens_left,
    }
    assert seconds(got["x-ratelimit-reset-requests"]) <= 60

    answers = [
        client.chat.completions.create(model="tiny-llama", messages=PROMPT, max_tokens=1)
        for _ in range(2)
    ]
    tokens_left = str(100 - sum(a.usage.total_tokens for a in (first, *answers)))
    with pytest.raises(openai.RateLimitError) as refused:  # the 3 requests of this minute
        client.chat.completions.create(model="tiny-llama", messages=PROMPT, max_tokens=1)
    assert refused.value.param == "requests_per_minute"
    got = figures(refused.value.response.headers)
    assert got.keys() == set(ALL)
    assert {name: got[name] for name in (*REQUESTS, *TOKENS)} == {
        "x-ratelimit-limit-requests": "3",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-limit-tokens": "100",
        "x-ratelimit-remaining-tokens": tokens_left,
    }
    assert seconds(got["x-ratelimit-reset-tokens"]) <= 24 * 3600
