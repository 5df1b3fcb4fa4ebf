"""A draft whose subject the collection's encoder cannot embed is said as the engine's failure,
as `/search` and `/answer` say it: the encoder (`--embed http://…`) answering 500 is a 502 with
its reason, one that says it is busy a 503 with when to ask again; only a subject that is no
subject stays a 400 on `subject`. Before, every encoder failure was a 400 on `subject`, which
blamed the caller for the server's engine. Real HTTP both ways: an encoder on loopback
answering as told, and the server."""

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
from tests.serve.embedding_endpoint import MODEL, TROUBLE, embedding_endpoint
from tests.serve.test_collections import staff
from tests.serve.test_search_engine_failure_status import QUESTION
from tests.serve.test_upload_remote_encoder import encoded_collection

Serve = Callable[[FastAPI], AbstractContextManager[str]]
ROUTE = "/v1/assist/draft"


def draft(url: str, key: str, subject: str = QUESTION) -> httpx.Response:
    return httpx.post(
        url + ROUTE,
        json={"kind": "vermerk", "collection": "vergabe", "subject": subject},
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )


def test_an_encoder_that_fails_a_draft_is_a_502_or_503_never_a_400_on_subject(
    tmp_path: Path, backend: TransformersBackend, serve: Serve
) -> None:
    engine, keys = staff(tmp_path)
    with embedding_endpoint() as told:
        root = encoded_collection(tmp_path, told.url, MODEL)
        app = create_app(backend, gateway=Gateway(engine), collections=root)
        with serve(app) as url:
            eva = keys["eva"]
            told.answers = "fails"
            failed = draft(url, eva)
            assert failed.status_code == 502, failed.text
            error = failed.json()["error"]
            assert error["code"] == "engine_unavailable" and error["param"] != "subject"
            assert f"antwortete 500: {TROUBLE}" in error["message"], error
            assert failed.headers["retry-after"] == "5"

            told.answers = "busy"
            busy = draft(url, eva)
            assert busy.status_code == 503, busy.text
            assert "(Retry-After des Servers: 30 s)" in busy.json()["error"]["message"]

            blank = draft(url, eva, subject="   ")  # the caller's own mistake: still a 400
            assert blank.status_code == 400, blank.text
            assert blank.json()["error"]["param"] == "subject"
            assert "braucht ein Thema" in blank.json()["error"]["message"], blank.text
    said = [(r["status"], r["decision"]) for r in export(engine) if r["route"] == ROUTE]
    assert (502, "engine_unavailable") in said and (503, "engine_unavailable") in said
