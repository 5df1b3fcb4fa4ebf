"""An upload whose embedding fails is said as the engine's failure, not as a missing collection:
the collection's encoder (`--embed http://…`) answering 500 or not answering at all is a 502
with its reason, one that says it is busy (503 with Retry-After) a 503 with when to ask again;
the collection stays as it was. A file that is no document stays a 400, a collection that is
not there a 404. Before, every one of these engine failures was a 404 "no collection", and
the page told a member that their own collection did not exist. Real HTTP both ways: an
encoder on loopback that can be made to fail, and the server."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from tests.serve.embedding_endpoint import MODEL, TROUBLE, embedding_endpoint
from tests.serve.test_collection_uploads import MIB, NOTE, upload, vergabe_state
from tests.serve.test_collections import staff
from tests.serve.test_upload_remote_encoder import encoded_collection

Serve = Callable[[FastAPI], AbstractContextManager[str]]


def error_of(response) -> dict:
    return response.json()["error"]


def test_an_encoder_that_fails_is_a_502_or_503_with_its_reason_never_a_404(
    tmp_path: Path, backend: TransformersBackend, serve: Serve
) -> None:
    engine, keys = staff(tmp_path)
    with embedding_endpoint() as told:
        root = encoded_collection(tmp_path, told.url, MODEL)
        app = create_app(backend, gateway=Gateway(engine), collections=root, upload_max_bytes=MIB)
        before = vergabe_state(root)
        with serve(app) as url:
            send = lambda filename: upload(url, keys["eva"], "vergabe", NOTE.encode(), filename)  # noqa: E731

            told.answers = "fails"
            failed = send("Förderantrag.md")
            assert failed.status_code == 502, failed.text
            assert error_of(failed)["code"] == "engine_unavailable"
            assert f"antwortete 500: {TROUBLE}" in error_of(failed)["message"], failed.text
            assert vergabe_state(root) == before

            told.answers = "busy"
            busy = send("Förderantrag.md")
            assert busy.status_code == 503, busy.text
            assert error_of(busy)["code"] == "engine_unavailable"
            assert "(Retry-After des Servers: 30 s)" in error_of(busy)["message"], busy.text
            assert vergabe_state(root) == before

            damaged = upload(url, keys["eva"], "vergabe", b"%PDF-1.7 kaputt", "Antrag.pdf")
            assert damaged.status_code == 400, damaged.text  # the file's fault: still a 400
            missing = upload(url, keys["eva"], "gibt-es-nicht", NOTE.encode(), "Antrag.md")
            assert missing.status_code == 404, missing.text

            told.answers = "vectors"
            taken = send("Förderantrag.md")
            assert taken.status_code == 200, taken.text
    with serve(app) as url:  # the encoder is gone: nothing answers at its address
        gone = upload(url, keys["eva"], "vergabe", b"Neue Frist: 40 Tage.", "Nachtrag.md")
        assert gone.status_code == 502, gone.text
        assert "die Verbindung wurde abgelehnt" in error_of(gone)["message"], gone.text
    route = "/v1/collections/vergabe/documents"
    said = [(r["status"], r["decision"]) for r in export(engine) if r["route"] == route]
    assert (502, "engine_unavailable") in said and (503, "engine_unavailable") in said
    assert not any(status == 404 for status, _decision in said)
