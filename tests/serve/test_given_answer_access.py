"""An answer handed back to `/v1/collections/NAME/answer` (`given`, the page's language switch)
is checked against the chunks of the collection named, which the key must be allowed to read:
a chunk id of another group's collection reads nothing, neither through that collection (the
404 of one that does not exist) nor through the key's own (the 409 `source_gone`); both are
audited, as every refusal of a collection route is. Real HTTP, a real gateway on SQLite."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from tests.serve.test_collections import QUESTION, collections, search, staff  # noqa: F401

Serve = Callable[[FastAPI], AbstractContextManager[str]]


def answer(url: str, key: str, name: str, given: dict) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/collections/{name}/answer",
        json={"question": QUESTION, "given": given},
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )


def test_a_chunk_of_another_group_s_collection_is_read_by_no_answer_handed_back(
    tmp_path: Path,
    collections: Path,  # noqa: F811
    backend: TransformersBackend,
    serve: Serve,
) -> None:
    engine, keys = staff(tmp_path)
    gateway = Gateway(engine)
    with serve(create_app(backend, gateway=gateway, collections=collections)) as url:
        [chunk] = search(url, keys["eva"], "vergabe", k=1).json()["data"]
        given = {"answer": "Die Frist [1].", "sources": [chunk["id"]]}
        own = answer(url, keys["eva"], "vergabe", given)
        through_it = answer(url, keys["paul"], "vergabe", given)
        through_his = answer(url, keys["paul"], "personal", given)
    assert own.status_code == 200, own.text
    assert (own.json()["given"], own.json()["asked_model"]) == (True, False)
    assert own.json()["sources"][0]["text"] == chunk["text"]
    assert through_it.status_code == 404, through_it.text
    assert through_his.status_code == 409, through_his.text
    assert through_his.json()["error"]["code"] == "source_gone"
    assert chunk["text"] not in through_it.text + through_his.text
    route = "/v1/collections/{}/answer"
    decisions = [(r["route"], r["status"], r["decision"]) for r in export(gateway.engine)]
    assert (route.format("vergabe"), 200, "allowed") in decisions
    assert (route.format("vergabe"), 404, "scope:collection") in decisions
    assert (route.format("personal"), 409, "source_gone") in decisions
