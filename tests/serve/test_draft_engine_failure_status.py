"""A draft whose subject the collection's encoder cannot embed is said as the engine's failure,
as `/search` and `/answer` say it: the encoder (`--embed http://…`) answering 500 is a 502 with
its reason, one that says it is busy a 503 with when to ask again; only a subject that is no
subject stays a 400 on `subject`. Before, every encoder failure was a 400 on `subject`, which
blamed the caller for the server's engine. Real HTTP both ways: an encoder on loopback
answering as told, and the server."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from tests.serve.embedding_endpoint import BUSY_FOR, TROUBLE
from tests.serve.engine_failures import Serve, decisions, encoded_site, error_of
from tests.serve.test_search_engine_failure_status import QUESTION

ROUTE = "/v1/assist/draft"


def draft(url: str, key: str, subject: str = QUESTION) -> httpx.Response:
    return httpx.post(
        url + ROUTE,
        json={"kind": "vermerk", "collection": "vergabe", "subject": subject},
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )


def test_an_encoder_that_fails_a_draft_is_a_502_or_503_never_a_400_on_subject(
    tmp_path: Path, backend: TransformersBackend, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    with encoded_site(tmp_path) as site:
        told = site.told
        app = create_app(backend, gateway=Gateway(site.engine), collections=site.root)
        with serve(app) as url:
            eva = site.keys["eva"]
            told.answers = "fails"
            failed = draft(url, eva)
            assert failed.status_code == 502, failed.text
            error = error_of(failed)
            assert error["code"] == "engine_unavailable" and error["param"] != "subject"
            # to a member: no address and no answer of the encoder (the operator's log has them)
            assert "nicht erreichbar" in error["message"] and told.url not in error["message"]
            assert f"antwortete 500: {TROUBLE}" in caplog.text
            assert failed.headers["retry-after"] == "5"

            told.answers = "busy"
            busy = draft(url, eva)
            assert busy.status_code == 503, busy.text
            assert "(Retry-After des Servers: 30 s)" in error_of(busy)["message"]
            assert busy.headers["retry-after"] == BUSY_FOR  # the encoder's, passed on

            blank = draft(url, eva, subject="   ")  # the caller's own mistake: still a 400
            assert blank.status_code == 400, blank.text
            assert error_of(blank)["param"] == "subject"
            assert "braucht ein Thema" in error_of(blank)["message"], blank.text

            record = site.root / "vergabe" / "collection.json"  # an index of another word list
            meta = json.loads(record.read_text(encoding="utf-8"))
            record.write_text(json.dumps(meta | {"terms": "de-compounds-0"}), encoding="utf-8")
            told.answers = "vectors"
            other = draft(url, eva)  # the collection's state, not the encoder's failure
            assert other.status_code == 409, other.text
            assert error_of(other)["code"] == "collection_unusable"
            assert "mit einer anderen Wortliste" in error_of(other)["message"], other.text
            documented = httpx.get(url + "/openapi.json").json()["paths"][ROUTE]["post"]
            assert "409" in documented["responses"]  # as the search's and the answer's
    said = decisions(site.engine, ROUTE)
    assert (502, "engine_unavailable") in said and (503, "engine_unavailable") in said
