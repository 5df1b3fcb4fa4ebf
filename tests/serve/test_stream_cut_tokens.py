"""A stream of the model in this process that its client leaves midway is recorded with the
tokens it really used (its prompt, and what was generated until the row stopped), and the quota
is settled to them instead of keeping the whole reservation."""

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
from gemeingut.serve.gateway.identity import add_user, create_key, utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from gemeingut.serve.gateway.store import open_store
from tests.serve.test_serve_disconnect import HELLO, slowed

MAX_TOKENS = 200


def test_a_stream_cut_by_its_client_records_and_settles_the_tokens_generated(
    model_dir: Path, serve: Callable[[FastAPI], AbstractContextManager[str]], tmp_path: Path
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    set_limits(engine, "user", "anna", tokens_per_day=100_000)
    backend = TransformersBackend(model_dir, model_name="slow")
    headers = {"authorization": f"Bearer {key}"}
    with serve(create_app(backend, gateway=Gateway(engine))) as url:
        with httpx.Client(base_url=url, timeout=30, headers=headers) as http:
            greedy = {"model": "slow", "messages": HELLO, "max_tokens": MAX_TOKENS}
            greedy["temperature"] = 0
            whole = http.post("/v1/chat/completions", json=greedy).json()["usage"]
            # greedy, this prompt runs to max_tokens: its stream cannot end before the client
            # leaves (a sampled one could draw the end of text first and be a 200)
            assert whole["completion_tokens"] == MAX_TOKENS, whole
            slowed(backend)
            body = greedy | {"stream": True}
            with http.stream("POST", "/v1/chat/completions", json=body) as response:
                # role chunk, blank, first piece, blank, second piece: then the client leaves
                list(itertools.islice(response.iter_lines(), 5))
        deadline = time.monotonic() + 10
        while (left := list(export(engine))[-1])["duration_ms"] is None:
            assert time.monotonic() < deadline, left
            time.sleep(0.05)

    assert left["status"] == 499, left
    assert left["prompt_tokens"] == whole["prompt_tokens"], left
    assert 2 <= left["completion_tokens"] < MAX_TOKENS, left  # two pieces read, then stopped
    used = usage(engine, "user", "anna", utcnow())
    assert used["tokens_reserved"] == 0
    assert used["tokens_today"] == (
        whole["total_tokens"] + left["prompt_tokens"] + left["completion_tokens"]
    )
