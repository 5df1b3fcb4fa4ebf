"""What OpenAI refuses, refused here too, where a client would otherwise be misled or the server
made to work unbounded (real HTTP with the official `openai` client, a tiny real model).

`stream_options` without `stream: true` was taken silently: a client that asked for usage
chunks got an answer in one piece, without telling it why. OpenAI and vLLM answer 400 naming
the field. `stop` was unbounded in count and length, and every stop string is searched for
after every token: now at most `MAX_STOPS` strings of `MAX_STOP_CHARS` characters, more than
OpenAI's 4, which clients written for vLLM exceed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from gemeingut.serve.schemas import MAX_STOP_CHARS, MAX_STOPS
from tests.serve.conftest import MODEL_NAME

HELLO = [{"role": "user", "content": "Hallo"}]


@pytest.fixture(scope="module")
def client(server_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server_url}/v1", api_key="-", max_retries=0)


@pytest.fixture(scope="module")
def http(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=60) as client:
        yield client


def refused(client: openai.OpenAI, route: str = "chat", **fields: object) -> openai.APIStatusError:
    with pytest.raises(openai.BadRequestError) as caught:
        if route == "chat":
            client.chat.completions.create(model=MODEL_NAME, messages=HELLO, max_tokens=2, **fields)
        else:
            client.completions.create(model=MODEL_NAME, prompt="Hallo", max_tokens=2, **fields)
    return caught.value


@pytest.mark.parametrize("route", ["chat", "completions"])
def test_stream_options_without_a_stream_is_refused_naming_it(
    client: openai.OpenAI, route: str
) -> None:
    error = refused(client, route, stream_options={"include_usage": True})
    assert (error.param, error.code) == ("stream_options", "invalid_value"), error.body
    assert error.body["message"] == (  # German by default, saying what to do
        'stream_options: wird nur mit "stream": true angenommen; fordern Sie einen Stream an '
        "oder lassen Sie das Feld weg"
    )
    error = refused(client, route, stream=False, stream_options={"include_usage": True})
    assert error.param == "stream_options"


def test_stream_options_is_said_in_english_and_taken_with_a_stream(
    http: httpx.Client, client: openai.OpenAI
) -> None:
    body = {"model": MODEL_NAME, "messages": HELLO, "stream_options": {"include_usage": True}}
    english = http.post("/v1/chat/completions", json=body, headers={"accept-language": "en"})
    assert english.status_code == 400, english.text
    assert english.json()["error"]["message"] == (
        'stream_options: is only taken with "stream": true; ask for a stream, or leave the '
        "field out"
    )
    none = http.post("/v1/chat/completions", json=body | {"stream_options": None, "max_tokens": 2})
    assert none.status_code == 200, none.text  # null is no option
    chunks = list(
        client.chat.completions.create(
            model=MODEL_NAME,
            messages=HELLO,
            max_tokens=2,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[-1].usage is not None and chunks[-1].choices == []


@pytest.mark.parametrize("route", ["chat", "completions"])
def test_more_stops_than_openais_are_taken_and_one_too_many_refused(
    client: openai.OpenAI, route: str
) -> None:
    stops = [f"{i:02d}" + "x" * (MAX_STOP_CHARS - 2) for i in range(MAX_STOPS)]
    assert len(stops) > 4  # OpenAI's most, which clients written for vLLM exceed
    if route == "chat":
        answer = client.chat.completions.create(
            model=MODEL_NAME, messages=HELLO, max_tokens=2, stop=stops
        )
    else:
        answer = client.completions.create(
            model=MODEL_NAME, prompt="Hallo", max_tokens=2, stop=stops
        )
    assert answer.choices[0].finish_reason in ("stop", "length")
    error = refused(client, route, stop=[*stops, "\n"])
    assert (error.param, error.code) == ("stop", "array_above_max_length"), error.body
    assert error.body["message"] == f"stop: darf höchstens {MAX_STOPS} Einträge haben"


def test_a_stop_too_long_is_refused_naming_stop(client: openai.OpenAI) -> None:
    long = "x" * (MAX_STOP_CHARS + 1)
    error = refused(client, stop=long)
    assert (error.param, error.code) == ("stop", "string_above_max_length"), error.body
    assert error.body["message"] == f"stop: darf höchstens {MAX_STOP_CHARS} Zeichen haben"
    error = refused(client, "completions", stop=["\n", long])
    assert (error.param, error.code) == ("stop.1", "string_above_max_length"), error.body


def test_the_operators_guide_states_the_bounds_the_server_applies() -> None:
    guide = (Path(__file__).parents[2] / "docs" / "operating.md").read_text(encoding="utf-8")
    said = f"`stop` takes at most {MAX_STOPS} strings of at most {MAX_STOP_CHARS} characters"
    assert said in guide
