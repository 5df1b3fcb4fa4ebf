"""A stream its client left is recorded as 499 (as nginx records it), with what it used, and
counted so in `/metrics`, not as the 200 its headers said before the client left; a stream
read to its end stays a 200. Real server on loopback, real audit log."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store
from tests.serve.test_metrics_per_model import scraped
from tests.serve.test_serve_disconnect import HELLO, slowed

CHAT = "/v1/chat/completions"


def counted(url: str, status: int) -> float:
    samples = scraped(url)
    return sum(
        value
        for (name, labels), value in samples.items()
        if name == "gemeingut_requests_total"
        and ("route", CHAT) in labels
        and ("status", str(status)) in labels
    )


def test_a_stream_its_client_left_is_recorded_and_counted_as_499(
    model_dir: Path, serve: Callable[[FastAPI], AbstractContextManager[str]], tmp_path: Path
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    backend = TransformersBackend(model_dir, model_name="slow")
    slowed(backend)
    headers = {"authorization": f"Bearer {key}"}
    with serve(create_app(backend, gateway=Gateway(engine))) as url:
        with httpx.Client(base_url=url, timeout=30, headers=headers) as http:
            for tokens, lines in ((200, 5), (2, None)):  # one left midway, one read to its end
                body = {"model": "slow", "messages": HELLO, "max_tokens": tokens, "stream": True}
                body["temperature"] = 0  # greedy: no end of text drawn before the client leaves
                with http.stream("POST", CHAT, json=body) as response:
                    list(itertools.islice(response.iter_lines(), lines))
        time.sleep(0.5)  # the record is completed as the stream's end is handled
        left, read = export(engine)
        assert (counted(url, 499), counted(url, 200)) == (1, 1), scraped(url)
    assert left["status"] == 499 and left["prompt_tokens"] > 0, left  # what it used, not null
    assert 2 <= left["completion_tokens"] < 1000, left
    assert (read["status"], read["completion_tokens"]) == (200, 2), read
