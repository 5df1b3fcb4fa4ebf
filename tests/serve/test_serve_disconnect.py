"""A client that hangs up mid-stream stops the generation and frees the model at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend

STEP_SECONDS = 0.03  # slow enough that a whole answer (~230 tokens) would take about 7 s
HELLO = [{"role": "user", "content": "Die Katze sieht den Garten."}]


def slowed(backend: TransformersBackend) -> list[int]:
    """Make each forward pass take a while and count them."""
    forward, calls = backend.model.forward, [0]

    def slow_forward(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        time.sleep(STEP_SECONDS)
        return forward(*args, **kwargs)

    backend.model.forward = slow_forward
    return calls


def test_hanging_up_midstream_stops_generation_and_frees_the_model(
    model_dir: Path, serve: Callable[[FastAPI], AbstractContextManager[str]]
) -> None:
    backend = TransformersBackend(model_dir, model_name="slow")
    calls = slowed(backend)
    long_answer = {"model": "slow", "messages": HELLO, "max_tokens": 200, "stream": True}
    with serve(create_app(backend)) as url, httpx.Client(base_url=url, timeout=30) as http:
        with http.stream("POST", "/v1/chat/completions", json=long_answer) as response:
            lines = response.iter_lines()
            for _ in range(5):  # role chunk, blank, first piece, blank, second piece
                next(lines)
        started = time.monotonic()
        short = http.post(
            "/v1/chat/completions", json={"model": "slow", "messages": HELLO, "max_tokens": 2}
        )
        waited = time.monotonic() - started
        calls_after_both = calls[0]
        time.sleep(5 * STEP_SECONDS)

    assert short.status_code == 200
    assert waited < 3, f"the next request waited {waited:.1f} s for the abandoned stream"
    assert calls[0] == calls_after_both, "generation went on after the client left"
    assert calls_after_both < 20
