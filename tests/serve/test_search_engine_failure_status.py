"""A search whose question the collection's encoder cannot embed is said as the engine's failure,
not as the caller's wrong `mode`: the encoder (`--embed http://…`) answering 500 or not at all
is a 502 with its reason, one that says it is busy (503 with Retry-After) a 503 with when to
ask again, and one that answers in another shape (no `embedding`, vectors of another length
than the collection's) a 502 that names the encoder's address; an answer from the documents
searches alike. Only a mode the collection cannot search in (dense without vectors) stays a
400 on `mode`. Before, every one of these was a 400 on `mode`, and a reply without its
embeddings a 500. Real HTTP both ways: an encoder on loopback answering as told, and the
server. The encoder's address and words are the operator's (its log); a member is told that
it cannot be reached, whom to ask and the request's id."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from gemeingut.apps.rag.index import ingest
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from tests.serve.embedding_endpoint import BUSY_FOR, MODEL, SPENT_FOR, TROUBLE
from tests.serve.engine_failures import Serve, decisions, encoded_site, error_of

QUESTION = "Wie lange ist die Frist für Angebote?"


def ask(url: str, key: str, route: str, name: str = "vergabe", **body) -> httpx.Response:
    asked = {"query": QUESTION} if route == "search" else {"question": QUESTION, "max_tokens": 8}
    return httpx.post(
        f"{url}/v1/collections/{name}/{route}",
        json=asked | body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )


def test_an_encoder_that_fails_a_search_is_a_502_or_503_never_a_400_on_mode(
    tmp_path: Path, backend: TransformersBackend, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    with encoded_site(tmp_path) as site:
        told, root, keys = site.told, site.root, site.keys
        words = tmp_path / "akten"  # a collection without vectors: dense is the caller's error
        words.mkdir()
        (words / "frist.txt").write_text("Angebote binnen 30 Tagen.", encoding="utf-8")
        ingest(root, "akten", [words], groups=["einkauf"])
        app = create_app(backend, gateway=Gateway(site.engine), collections=root)
        with serve(app) as url:
            eva = keys["eva"]
            found = ask(url, eva, "search")
            assert found.status_code == 200, found.text
            assert found.json()["data"][0]["document"] == "vergabe/notiz.txt"

            told.answers = "fails"
            for route in ("search", "answer"):
                failed = ask(url, eva, route)
                assert failed.status_code == 502, failed.text
                assert error_of(failed)["code"] == "engine_unavailable"
                assert error_of(failed)["param"] != "mode"
                said = error_of(failed)["message"]
                assert said.startswith("die Sammlung konnte nicht durchsucht werden"), said
                # to a member: no address and no answer of the encoder, whom to ask
                assert "nicht erreichbar oder hat nicht wie erwartet geantwortet" in said, said
                assert told.url not in said and TROUBLE not in said, said
                assert f"Anfrage {error_of(failed)['request_id']}" in said, said
                assert f"antwortete 500: {TROUBLE}" in caplog.text  # the operator's log
                assert failed.headers["retry-after"] == "5"
            assert ask(url, eva, "search", mode="bm25").status_code == 200  # asks no encoder

            failing = (("busy", BUSY_FOR), ("hopeless", "5"), ("spent", SPENT_FOR))
            for told.answers, retry_after in failing:
                for route in ("search", "answer"):
                    busy = ask(url, eva, route)
                    assert busy.status_code == 503, busy.text
                    assert error_of(busy)["code"] == "engine_unavailable"
                    # the encoder's Retry-After passed on, else the server's usual
                    assert busy.headers["retry-after"] == retry_after, (told.answers, route)
                    # waiting does not help where the encoder says so: OpenAI's clients told
                    hopeless = None if told.answers == "busy" else "false"
                    assert busy.headers.get("x-should-retry") == hopeless, busy.headers
            said = error_of(ask(url, eva, "search", mode="dense"))["message"]
            assert "Warten hilft nicht" in said, said
            told.answers = "busy"
            busy = ask(url, eva, "search")
            assert "(Retry-After des Servers: 30 s)" in error_of(busy)["message"], busy.text

            told.answers = "shapeless"
            shapeless = ask(url, eva, "search", mode="dense")
            assert shapeless.status_code == 502, shapeless.text  # was a 500
            said = error_of(shapeless)["message"]
            assert told.url not in said, said
            logged = f"{told.url}/embeddings hat geantwortet, aber nicht mit Einbettungen"
            assert logged in caplog.text and "`index` mit seinem `embedding`" in caplog.text

            told.answers = "shorter"
            shorter = ask(url, eva, "search")
            assert shorter.status_code == 502, shorter.text  # was a 500
            logged = f"das Einbettungsmodell {MODEL} liefert Vektoren mit 4 Zahlen"
            assert logged in caplog.text
            assert "die Sammlung vergabe enthält Vektoren mit 8" in caplog.text

            record = root / "vergabe" / "collection.json"  # an index of another word list
            meta = json.loads(record.read_text(encoding="utf-8"))
            record.write_text(json.dumps(meta | {"terms": "de-compounds-0"}), encoding="utf-8")
            told.answers = "vectors"
            for route in ("search", "answer"):
                other = ask(url, eva, route, mode="bm25")  # the encoder is not its cause
                assert other.status_code == 409, other.text  # was a 502 blaming the encoder
                assert error_of(other)["code"] == "collection_unusable"
                said = error_of(other)["message"]
                assert "mit einer anderen Wortliste" in said and "Einbettungsmodell" not in said
            record.write_text(json.dumps(meta), encoding="utf-8")

            no_vectors = ask(url, eva, "search", name="akten", mode="dense")
            assert no_vectors.status_code == 400, no_vectors.text
            assert error_of(no_vectors)["param"] == "mode"
            assert "hat keine dichten Vektoren" in error_of(no_vectors)["message"]
    with serve(app) as url:  # the encoder is gone: nothing answers at its address
        gone = ask(url, keys["eva"], "search")
        assert gone.status_code == 502, gone.text
        assert "nicht erreichbar" in error_of(gone)["message"], gone.text
        assert "die Verbindung wurde abgelehnt" in caplog.text
    said = decisions(site.engine, "/search")
    assert (502, "engine_unavailable") in said and (503, "engine_unavailable") in said
    assert (400, "engine_unavailable") not in said
    assert (409, "collection_unusable") in said
