"""Rotating a key (`gemeingut admin keys rotate`) while its streams are open does not double
`concurrent_streams`: the new key sees the old key's open streams until they end, and gets its
places back as soon as they do — real streams over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
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
from tests.serve.gateway.test_admin_cli_safeguards import admin
from tests.serve.test_serve_disconnect import HELLO

STREAM = {"model": "slow", "messages": HELLO, "max_tokens": 200, "stream": True}


@contextmanager
def held(backend: TransformersBackend, steps: int) -> Iterator[None]:
    """The model's first `steps` steps run, the next waits until the block ends: an open
    stream stays open however long the test takes (a sampled answer may end after a few
    tokens, and a loaded machine read the first piece after the answer ended; its stream
    place ends with it)."""
    release, done = threading.Event(), [0]
    forward = backend.model.forward

    def held_forward(*args: object, **kwargs: object) -> object:
        done[0] += 1
        if done[0] > steps:
            release.wait()
        return forward(*args, **kwargs)

    backend.model.forward = held_forward
    try:
        yield
    finally:
        release.set()


def test_a_rotated_key_sees_the_old_keys_open_streams(
    model_dir: Path, serve: Callable[[FastAPI], AbstractContextManager[str]], store_url: str
) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    old_id, old_key = create_key(engine, "anna")
    set_limits(engine, "key", old_id, concurrent_streams=1)
    backend = TransformersBackend(model_dir, model_name="slow")
    with (
        serve(create_app(backend, gateway=Gateway(engine))) as url,
        httpx.Client(base_url=url, timeout=30) as old,
        httpx.Client(base_url=url, timeout=30) as new,
    ):
        old.headers["authorization"] = f"Bearer {old_key}"
        first_stream = STREAM | {"temperature": 0}  # the same first tokens every time
        with (
            held(backend, steps=8),  # then released, once the client has left
            old.stream("POST", "/v1/chat/completions", json=first_stream) as first,
        ):
            assert first.status_code == 200
            lines = first.iter_lines()  # kept: a dropped iterator closes the response
            for _ in range(3):  # the role chunk, a blank, the first piece: it generates
                next(lines)
            rotated = admin(store_url, "keys", "rotate", old_id, "--json")
            assert rotated.exit_code == 0, rotated.output
            new_id, new_key = (json.loads(rotated.stdout)[k] for k in ("id", "key"))
            new.headers["authorization"] = f"Bearer {new_key}"
            refused = new.post("/v1/chat/completions", json=STREAM)
            assert refused.status_code == 429, refused.text
            assert refused.json()["error"]["message"].startswith(
                f"die Grenze „gleichzeitige Streams“ von Schlüssel {new_id}: der 1 erlaubte Stream"
            ), refused.text
            assert usage(engine, "key", new_id, utcnow())["open_streams"] == 1
        _wait_until_recorded(engine)
        assert usage(engine, "key", new_id, utcnow())["open_streams"] == 0
        assert usage(engine, "key", old_id, utcnow())["open_streams"] == 0
        short = STREAM | {"max_tokens": 2}
        with new.stream("POST", "/v1/chat/completions", json=short) as second:
            assert second.status_code == 200, second.read()
            assert list(second.iter_lines())[-2] == "data: [DONE]"


def _wait_until_recorded(engine) -> None:
    """The first stream's client has left: its end is handled (record completed, place
    given back) within moments."""
    deadline = time.monotonic() + 15
    while True:
        records = [r for r in export(engine) if r["route"] == "/v1/chat/completions"]
        if records and records[0]["duration_ms"] is not None:
            return
        assert time.monotonic() < deadline, records
        time.sleep(0.05)
