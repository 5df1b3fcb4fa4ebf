"""`/metrics`: the time to first token of streamed chat and text completions, per model, from
the request's arrival to its first chunk of text; answers that are not streamed add nothing."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
FIRST_TOKEN = "gemeingut_time_to_first_token_seconds"


def first_token(url: str) -> dict[str, float]:
    """The histogram's count and sum for the served model (absent: none yet)."""
    text = httpx.get(f"{url}/metrics").text
    return {
        s.name.removeprefix(FIRST_TOKEN): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name in (f"{FIRST_TOKEN}_count", f"{FIRST_TOKEN}_sum")
        and s.labels == {"model": MODEL_NAME}
    }


def streamed(url: str, path: str, body: dict) -> str:
    with httpx.stream("POST", f"{url}{path}", json=body | {"stream": True}) as response:
        assert response.status_code == 200
        return "".join(response.iter_lines())


def test_time_to_first_token_is_observed_once_per_streamed_completion(
    backend: TransformersBackend, serve: Serve
) -> None:
    chat = {
        "model": MODEL_NAME,
        "messages": [{"role": "user", "content": "Hallo"}],
        "max_tokens": 4,
        "temperature": 0,  # the tiny model's greedy answers begin with text, not its end
    }
    text = {"model": MODEL_NAME, "prompt": "Die Katze", "max_tokens": 4, "temperature": 0}
    with serve(create_app(backend)) as url:
        assert first_token(url) == {}
        assert "[DONE]" in streamed(url, "/v1/chat/completions", chat)
        after_chat = first_token(url)
        assert after_chat["_count"] == 1 and after_chat["_sum"] > 0
        assert httpx.post(f"{url}/v1/chat/completions", json=chat).status_code == 200
        assert "[DONE]" in streamed(url, "/v1/completions", text)
        after_both = first_token(url)
    assert after_both["_count"] == 2 and after_both["_sum"] > after_chat["_sum"]
