"""A wrong value is said in words a reader expects: a count of 1 in the singular, numbers as
the reader's language writes them (digit groups in German), and NaN as what it is, not as a
number beyond a bound."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.serve.conftest import MODEL_NAME

HELLO = [{"role": "user", "content": "Hallo"}]


def said(server_url: str, body: dict, language: str = "de") -> str:
    answer = httpx.post(
        f"{server_url}/v1/chat/completions",
        content=json.dumps({"model": MODEL_NAME, **body}),  # json.dumps writes NaN as NaN
        headers={"content-type": "application/json", "accept-language": language},
        timeout=60,
    )
    assert answer.status_code == 400, answer.text
    return answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "german", "english"),
    [
        (
            {"messages": []},
            "messages: muss mindestens 1 Eintrag haben",
            "messages: must have at least 1 item",
        ),
        (
            {"messages": HELLO, "temperature": float("nan")},
            "temperature: ist keine Zahl (NaN)",
            "temperature: is not a number (NaN)",
        ),
        (
            {"messages": HELLO, "seed": 2**64},
            "seed: darf höchstens 9.223.372.036.854.775.791 sein",
            "seed: must be at most 9,223,372,036,854,775,791",
        ),
        (
            {"messages": HELLO, "top_p": 1.5},
            "top_p: darf höchstens 1 sein",
            "top_p: must be at most 1",
        ),
    ],
    ids=["one-item", "nan", "seed-bound", "float-bound"],
)
def test_a_wrong_value_is_said_in_the_readers_words(
    server_url: str, body: dict, german: str, english: str
) -> None:
    assert said(server_url, body) == german
    assert said(server_url, body, "en") == english


def test_each_wrong_field_is_named_not_counted(server_url: str) -> None:
    """A client that sends `prompt` where `messages` belongs reads both halves of its mistake;
    beyond three problems the rest is counted."""
    assert said(server_url, {"prompt": "Hallo"}) == (
        "messages: ist erforderlich; prompt: dieser Server unterstützt dieses Feld nicht; "
        "bitte weglassen"
    )
    many = {"a": 1, "b": 2, "c": 3, "d": 4}
    assert said(server_url, {"messages": HELLO, **many}).endswith("(und ein weiteres Problem)")
