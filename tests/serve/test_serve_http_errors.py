"""Every failure reaches the client as OpenAI's error shape with a 4xx, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

MODEL_NAME = "tiny-llama"
HELLO = [{"role": "user", "content": "Hallo"}]


@pytest.fixture(scope="module")
def http(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=60) as client:
        yield client


def assert_openai_error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    # OpenAI's four, and the id support finds the request's audit record by
    assert set(body["error"]) == {"message", "type", "param", "code", "request_id"}
    assert body["error"]["request_id"] == response.headers["x-request-id"]
    assert body["error"]["message"]
    assert "Traceback" not in response.text
    return body["error"]


def test_health_says_ok_and_names_the_model(http: httpx.Client) -> None:
    response = http.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "model": MODEL_NAME}


def test_several_choices_cannot_be_streamed(http: httpx.Client) -> None:
    response = http.post(
        "/v1/chat/completions",
        json={"model": MODEL_NAME, "messages": HELLO, "n": 2, "stream": True},
    )
    error = assert_openai_error(response, 400)
    assert error["param"] == "n"
    assert "stream" in str(error["message"])
    assert error["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools"),
        ({"frequency_penalty": 0.5}, "frequency_penalty"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"logit_bias": {"12": 5}}, "logit_bias"),
        ({"top_k": 5}, "top_k"),
        ({"top_logprobs": 2}, "top_logprobs"),
    ],
)
def test_unsupported_fields_are_refused_naming_the_field(
    http: httpx.Client, extra: dict[str, object], param: str
) -> None:
    body = {"model": MODEL_NAME, "messages": HELLO, "max_tokens": 2, **extra}
    error = assert_openai_error(http.post("/v1/chat/completions", json=body), 400)
    assert error["param"] == param


def test_a_validators_own_refusal_is_in_the_readers_language(http: httpx.Client) -> None:
    body = {"model": MODEL_NAME, "messages": HELLO, "max_tokens": 2, "logit_bias": {"12": 5}}
    german = assert_openai_error(http.post("/v1/chat/completions", json=body), 400)
    assert "unterstützt dieser Server nicht; lassen Sie das Feld weg" in german["message"]
    english = http.post("/v1/chat/completions", json=body, headers={"Accept-Language": "en"})
    assert "is not supported by this server" in assert_openai_error(english, 400)["message"]


def test_neutral_values_of_unsupported_fields_are_accepted(http: httpx.Client) -> None:
    body = {
        "model": MODEL_NAME,
        "messages": HELLO,
        "max_tokens": 2,
        "frequency_penalty": 0,
        "presence_penalty": 0.0,
        "logit_bias": {},
        "tools": [],
        "tool_choice": "none",
        "response_format": {"type": "text"},
    }
    assert http.post("/v1/chat/completions", json=body).status_code == 200


def test_unknown_model_is_not_found(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": HELLO})
    error = assert_openai_error(response, 404)
    assert error["code"] == "model_not_found"
    assert error["param"] == "model"
    assert "gpt-4o" in str(error["message"])


def test_body_that_is_not_json_is_a_bad_request(http: httpx.Client) -> None:
    response = http.post(
        "/v1/chat/completions",
        content=b'{"model": "tiny-llama", "messages": [',
        headers={"content-type": "application/json"},
    )
    error = assert_openai_error(response, 400)
    assert "kein gültiges JSON" in str(error["message"])


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": MODEL_NAME}, "messages"),
        ({"model": MODEL_NAME, "messages": []}, "messages"),
        ({"model": MODEL_NAME, "messages": [{"role": "robot", "content": "x"}]}, "messages.0.role"),
        ({"model": MODEL_NAME, "messages": HELLO, "temperature": 5}, "temperature"),
        ({"model": MODEL_NAME, "messages": HELLO, "max_tokens": 0}, "max_tokens"),
    ],
)
def test_invalid_fields_are_a_bad_request_naming_the_field(
    http: httpx.Client, body: dict[str, object], param: str
) -> None:
    error = assert_openai_error(http.post("/v1/chat/completions", json=body), 400)
    assert error["param"] == param


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"max_tokens": 0}, "max_tokens"),
        ({"prompt": []}, "prompt"),
        ({"prompt": [5, 99999]}, "prompt"),
        ({"suffix": "Ende"}, "suffix"),
        ({"best_of": 3}, "best_of"),
        ({"stream": True, "echo": True}, "echo"),
        ({"stream": True, "logprobs": 1}, "logprobs"),
        ({"stream": True, "prompt": ["eins", "zwei"]}, "prompt"),
    ],
)
def test_completion_requests_that_cannot_be_served_name_the_field(
    http: httpx.Client, extra: dict[str, object], param: str
) -> None:
    body = {"model": MODEL_NAME, "prompt": "Die Katze", **extra}
    error = assert_openai_error(http.post("/v1/completions", json=body), 400)
    assert error["param"] == param


def test_unknown_route_is_not_found_in_the_same_shape(http: httpx.Client) -> None:
    assert_openai_error(http.get("/v1/engines"), 404)


def test_stream_is_server_sent_events_ending_with_done(http: httpx.Client) -> None:
    body = {"model": MODEL_NAME, "messages": HELLO, "max_tokens": 4, "stream": True, "seed": 3}
    with http.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join(response.iter_text())
    events = raw.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    chunks = [json.loads(e.removeprefix("data: ")) for e in events[:-2]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    assert all("usage" not in c for c in chunks)  # only sent when stream_options asks


def test_too_long_prompt_is_refused_before_streaming_starts(http: httpx.Client) -> None:
    body = {"model": MODEL_NAME, "prompt": "Das Kind malt das Buch. " * 200, "stream": True}
    error = assert_openai_error(http.post("/v1/completions", json=body), 400)
    assert error["code"] == "context_length_exceeded"
    assert error["param"] == "prompt"


def test_the_frameworks_own_refusals_speak_the_clients_language(http: httpx.Client) -> None:
    german = assert_openai_error(http.get("/v1/gibt-es-nicht"), 404)
    assert german["message"] == "diesen Pfad gibt es nicht: /v1/gibt-es-nicht"
    english = http.get("/v1/gibt-es-nicht", headers={"Accept-Language": "en-US,en;q=0.8"})
    assert assert_openai_error(english, 404)["message"] == "no such route: /v1/gibt-es-nicht"
    assert (
        "nimmt kein GET an" in assert_openai_error(http.get("/v1/chat/completions"), 405)["message"]
    )


def test_a_wrong_value_is_described_in_the_clients_language(http: httpx.Client) -> None:
    """pydantic's English description of a wrong value is put into the client's language."""
    body = {"model": MODEL_NAME, "messages": HELLO, "temperature": 5}
    german = assert_openai_error(http.post("/v1/chat/completions", json=body), 400)
    assert german["message"] == "temperature: darf höchstens 2 sein"
    english = http.post("/v1/chat/completions", json=body, headers={"Accept-Language": "en"})
    assert assert_openai_error(english, 400)["message"] == "temperature: must be at most 2"
    role = {"model": MODEL_NAME, "messages": [{"role": "robot", "content": "x"}]}
    message = assert_openai_error(http.post("/v1/chat/completions", json=role), 400)["message"]
    assert message.startswith("messages.0.role: muss eines sein von: 'system', ")
