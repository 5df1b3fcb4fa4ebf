"""An upload whose embedding fails is said as the engine's failure, not as a missing collection:
the collection's encoder (`--embed http://…`) answering 500 or not answering at all is a 502
with its reason, one that says it is busy (503 with Retry-After) a 503 with when to ask again;
the collection stays as it was. A file that is no document stays a 400, a collection that is
not there a 404. Before, every one of these engine failures was a 404 "no collection", and
the page told a member that their own collection did not exist. Real HTTP both ways: an
encoder on loopback that can be made to fail, and the server. The encoder's address and words
are the operator's (its log); a member is told that it cannot be reached, whom to ask and the
request's id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.apps.rag.storage import CollectionBusy
from gemeingut.apps.rag.uploads import add_uploaded
from gemeingut.i18n import text
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from tests.serve.embedding_endpoint import BUSY_FOR, MODEL, TROUBLE
from tests.serve.engine_failures import Serve, decisions, encoded_site, error_of
from tests.serve.test_collection_uploads import MIB, NOTE, upload, vergabe_state


def test_an_encoder_that_fails_is_a_502_or_503_with_its_reason_never_a_404(
    tmp_path: Path, backend: TransformersBackend, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    with encoded_site(tmp_path) as site:
        told, root, keys = site.told, site.root, site.keys
        app = create_app(
            backend, gateway=Gateway(site.engine), collections=root, upload_max_bytes=MIB
        )
        before = vergabe_state(root)
        with serve(app) as url:
            send = lambda filename: upload(url, keys["eva"], "vergabe", NOTE.encode(), filename)  # noqa: E731

            told.answers = "fails"
            failed = send("Förderantrag.md")
            assert failed.status_code == 502, failed.text
            assert error_of(failed)["code"] == "engine_unavailable"
            said = error_of(failed)["message"]  # to a member: no address, whom to ask
            assert "nicht erreichbar oder hat nicht wie erwartet geantwortet" in said, said
            assert site.told.url not in said and TROUBLE not in said, said
            assert f"Anfrage {error_of(failed)['request_id']}" in said, said
            assert f"antwortete 500: {TROUBLE}" in caplog.text  # the operator's log says it
            assert error_of(failed)["request_id"] in caplog.text
            assert failed.headers["retry-after"] == "5"
            assert vergabe_state(root) == before

            told.answers = "busy"
            busy = send("Förderantrag.md")
            assert busy.status_code == 503, busy.text
            assert error_of(busy)["code"] == "engine_unavailable"
            assert "(Retry-After des Servers: 30 s)" in error_of(busy)["message"], busy.text
            assert busy.headers["retry-after"] == BUSY_FOR  # the encoder's, passed on
            assert "x-should-retry" not in busy.headers
            assert vergabe_state(root) == before

            told.answers = "hopeless"  # a 503 without Retry-After: the server's usual
            hopeless = send("Förderantrag.md")
            assert hopeless.status_code == 503, hopeless.text
            assert hopeless.headers["retry-after"] == "5"
            assert hopeless.headers["x-should-retry"] == "false"  # as the encoder said

            told.answers = "shorter"  # another model's vectors: its failure too, not a 500
            shorter = send("Förderantrag.md")
            assert shorter.status_code == 502, shorter.text
            assert f"das Einbettungsmodell {MODEL} liefert Vektoren mit 4 Zahlen" in caplog.text
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
        assert "nicht erreichbar" in error_of(gone)["message"], gone.text
        assert "die Verbindung wurde abgelehnt" in caplog.text
    said = decisions(site.engine, "/v1/collections/vergabe/documents")
    assert (502, "engine_unavailable") in said and (503, "engine_unavailable") in said
    assert not any(status == 404 for status, _decision in said)


def test_a_refusal_of_the_ingest_that_is_not_the_encoders_is_said_as_it_is(
    tmp_path: Path, backend: TransformersBackend, serve: Serve
) -> None:
    """The ingest of an upload refuses more than the encoder does: here a collection whose
    record names a language this gemeingut does not ingest (written by another version, or by
    hand). That is the collection's state, said in the ingest's own words as a 409, with the
    encoder never asked. Before, every such `InputError` was a 502 blaming the embedding model."""
    with encoded_site(tmp_path) as site:
        told, root = site.told, site.root
        record = root / "vergabe" / "collection.json"
        meta = json.loads(record.read_text(encoding="utf-8"))
        record.write_text(json.dumps(meta | {"language": "fr"}), encoding="utf-8")
        app = create_app(
            backend, gateway=Gateway(site.engine), collections=root, upload_max_bytes=MIB
        )
        asked, before = told.arrived, vergabe_state(root)
        with serve(app) as url:
            refused = upload(url, site.keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md")
        assert refused.status_code == 409, refused.text
        assert error_of(refused)["code"] == "collection_unusable"
        assert "„fr“ ist unbekannt" in error_of(refused)["message"], refused.text
        assert "Einbettungsmodell" not in error_of(refused)["message"]
        assert told.arrived == asked and vergabe_state(root) == before
    assert decisions(site.engine, "/documents") == [(409, "collection_unusable")]


def test_an_upload_never_opens_an_embedder_of_its_own(tmp_path: Path) -> None:
    """An upload's ingest embeds only with the embedder its server passed (metered for the
    person uploading, queued). A server that saw `vergabe` without vectors passes none; where an
    operator's `rag ingest --embed` finished before the upload's ingest took the collection,
    its record names an encoder: the upload is told to send again (the server's 409), the
    encoder never asked from here and the collection unchanged. Before, the ingest opened that
    encoder itself and embedded the upload's chunks outside the quota and the queue."""
    with encoded_site(tmp_path) as site:
        asked, before = site.told.arrived, vergabe_state(site.root)
        with pytest.raises(CollectionBusy) as refused:
            add_uploaded(site.root, "vergabe", "Förderantrag.md", NOTE.encode(), embedder=None)
        said = text(refused.value.explained())
        assert "Einbettungsmodell der Sammlung hat sich geändert" in said, said
        assert "senden Sie die Datei erneut" in said, said
        assert site.told.arrived == asked and vergabe_state(site.root) == before
