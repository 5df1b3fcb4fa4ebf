"""Embedding an uploaded document is a model call of the person who uploads it: its tokens
count against their tokens_per_day (a 429 naming the limit, nothing of the document left on
the server), it waits in the served model's queue like `/v1/embeddings`, and the server takes
only so many uploads at once (a 503 with Retry-After) — real HTTP, a real gateway database."""

from __future__ import annotations

import threading
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
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from tests.serve.test_collection_uploads import MIB, NOTE, upload, vergabe_state
from tests.serve.test_collections import collections as collections  # a fixture
from tests.serve.test_collections import staff
from tests.serve.test_serve_disconnect import HELLO, slowed

Serve = Callable[[FastAPI], AbstractContextManager[str]]
ROUTE = "/v1/collections/vergabe/documents"


def test_an_uploads_embedding_counts_against_the_callers_tokens(
    tmp_path: Path, collections: Path, model_dir: Path, serve: Serve
) -> None:
    served = TransformersBackend(model_dir, model_name=model_dir.resolve().name)
    engine, keys = staff(tmp_path)
    set_limits(engine, "user", "eva", tokens_per_day=1)
    app = create_app(served, gateway=Gateway(engine), collections=collections, upload_max_bytes=MIB)
    before = vergabe_state(collections)
    with serve(app) as url:
        refused = upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md")
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["message"].startswith(
            "die Grenze „Tokens pro Tag“ von Person eva ist 1, und die Eingabe dieser Anfrage zählt"
        ), refused.text
        assert refused.headers["retry-after"]
        assert vergabe_state(collections) == before  # nothing of the document stays
        assert usage(engine, "user", "eva", utcnow())["tokens_reserved"] == 0

        set_limits(engine, "user", "eva", tokens_per_day=100_000)
        added = upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md")
        assert added.status_code == 200, added.text
    embedded = [r for r in export(engine) if r["route"] == ROUTE and r["prompt_tokens"]]
    assert len(embedded) == 1, list(export(engine))
    record = embedded[0]
    assert (record["status"], record["model"]) == (200, served.model_name)
    assert record["completion_tokens"] == 0 and record["duration_ms"] is not None
    spent = usage(engine, "user", "eva", utcnow())
    assert spent == spent | {"tokens_today": record["prompt_tokens"], "tokens_reserved": 0}
    decisions = {(r["status"], r["decision"]) for r in export(engine) if r["route"] == ROUTE}
    assert (429, "quota:tokens_per_day") in decisions


def test_an_upload_waits_in_the_model_queue_and_the_server_takes_few_at_once(
    tmp_path: Path, collections: Path, model_dir: Path, serve: Serve
) -> None:
    served = TransformersBackend(model_dir, model_name=model_dir.resolve().name)
    slowed(served)  # a stream holds the model for seconds
    engine, keys = staff(tmp_path)
    app = create_app(
        served,
        gateway=Gateway(engine),
        collections=collections,
        upload_max_bytes=MIB,
        max_running=1,
        max_waiting=1,
        max_uploads=1,
    )
    eva = {"authorization": f"Bearer {keys['eva']}"}
    stream = {"model": served.model_name, "messages": HELLO, "max_tokens": 200, "stream": True}
    stream["temperature"] = 0  # greedy: a sampled end of text would free the model early
    first: list[httpx.Response] = []
    with serve(app) as url, httpx.Client(base_url=url, timeout=60, headers=eva) as http:
        with http.stream("POST", "/v1/chat/completions", json=stream) as running:
            lines = running.iter_lines()  # kept: a dropped iterator closes the response
            for _ in range(3):
                next(lines)  # the stream has the model's turn
            uploading = threading.Thread(
                target=lambda: first.append(
                    upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md")
                )
            )
            uploading.start()
            deadline = time.monotonic() + 20
            while app.state.queue.waiting < 1:  # the upload's embedding waits for its turn
                assert time.monotonic() < deadline and not first, first
                time.sleep(0.02)
            second = upload(url, keys["eva"], "vergabe", b"Zweiter Vermerk.", "Zweiter.md")
            assert second.status_code == 503, second.text
            assert second.headers["retry-after"] == "5"
            assert second.json()["error"]["code"] == "uploads_busy"
            assert second.json()["error"]["message"] == (
                "der Server nimmt schon so viele Dokumente gleichzeitig an, wie er erlaubt (1); "
                "in 5 s erneut versuchen"
            )
            assert not first  # still waiting for the model
        uploading.join(30)
        assert first and first[0].status_code == 200, first
        assert first[0].json()["status"] == "added"
        again = upload(url, keys["eva"], "vergabe", b"Zweiter Vermerk.", "Zweiter.md")
        assert again.status_code == 200, again.text
    decisions = {(r["status"], r["decision"]) for r in export(engine) if r["route"] == ROUTE}
    assert (503, "uploads_busy") in decisions
