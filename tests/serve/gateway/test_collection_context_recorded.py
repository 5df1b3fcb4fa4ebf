"""An answer from a collection whose question cannot fit the model's context with even one
source is answered 400 `context_length_exceeded`, and its audit record says the same (it said
`invalid_request`: the route refuses before admitting the request, and the record made for it
knew only the status)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
from fastapi import FastAPI

from gemeingut.apps.rag.index import ingest
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key
from gemeingut.serve.gateway.store import open_store

Serve = Callable[[FastAPI], AbstractContextManager[str]]


def test_a_question_past_the_context_is_recorded_as_such(
    store_url: str, backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    engine = open_store(store_url)
    add_group(engine, "amt")
    add_user(engine, "anna", ("amt",))
    headers = {"Authorization": f"Bearer {create_key(engine, 'anna')[1]}"}
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "regel.txt").write_text("Anträge auf Urlaub bis März.", encoding="utf-8")
    root = tmp_path / "sammlungen"
    ingest(root, "amt", [tmp_path / "a"], groups=["amt"])
    question = "Bis wann sind Anträge auf Urlaub zu stellen? " * 80  # far past 256 tokens
    gateway = Gateway(engine)
    with serve(create_app(backend, gateway=gateway, collections=root)) as url:
        answered = httpx.post(
            f"{url}/v1/collections/amt/answer",
            json={"question": question[:4000]},
            headers=headers,
            timeout=60,
        )
    assert answered.status_code == 400, answered.text
    assert answered.json()["error"]["code"] == "context_length_exceeded"
    decisions = [(r["route"], r["decision"]) for r in export(engine)]
    assert ("/v1/collections/amt/answer", "context_length_exceeded") in decisions, decisions
    assert all(decision != "invalid_request" for _route, decision in decisions), decisions
