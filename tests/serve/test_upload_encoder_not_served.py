"""An upload to a collection whose vectors a model made that this server neither serves nor
finds at the folder the collection records (a collection made on another machine) is refused
with the model's name and what the operator can do, in German and English; served beside the
first model (`--also NAME=FOLDER`), the same upload is taken. Real HTTP, a real gateway."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
from fastapi import FastAPI

from gemeingut.apps.rag.index import COLLECTION_FILE, open_collection
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.served import ModelEntry
from tests.serve.test_collection_uploads import MIB, NOTE, upload, vergabe_state
from tests.serve.test_collections import collections as collections  # a fixture
from tests.serve.test_collections import staff

Serve = Callable[[FastAPI], AbstractContextManager[str]]
MODEL = "fachmodell"


def made_elsewhere(collections: Path, tmp_path: Path) -> None:
    """`vergabe` as if embedded on another machine, by `MODEL` from a folder not here."""
    path = collections / "vergabe" / COLLECTION_FILE
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["embedder"] |= {"model": MODEL, "source": str(tmp_path / "anderswo" / MODEL)}
    path.write_text(json.dumps(meta), encoding="utf-8")


def test_an_upload_names_the_model_the_collection_needs_and_what_the_operator_can_do(
    tmp_path: Path,
    collections: Path,
    backend: TransformersBackend,
    model_dir: Path,
    serve: Serve,
) -> None:
    made_elsewhere(collections, tmp_path)
    engine, keys = staff(tmp_path)
    before = vergabe_state(collections)
    app = create_app(
        backend, gateway=Gateway(engine), collections=collections, upload_max_bytes=MIB
    )
    with serve(app) as url:
        german = upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md")
        english = upload(
            url,
            keys["eva"],
            "vergabe",
            NOTE.encode(),
            "Förderantrag.md",
            **{"Accept-Language": "en"},
        )
    assert german.status_code == english.status_code == 409, german.text
    assert german.json()["error"]["code"] == "collection_unusable"
    assert german.json()["error"]["message"] == (
        "die Sammlung „vergabe“ wurde mit dem Modell „fachmodell“ eingebettet, das dieser Server "
        "nicht bereitstellt (Hinweis: der Betreiber des Servers kann das Modell mit gemeingut "
        "serve … --also fachmodell=ORDNER neben den anderen bereitstellen oder die Dokumente der "
        "Sammlung mit einem Modell, das dieser Server bereitstellt, in eine neue Sammlung "
        "aufnehmen: gemeingut rag ingest … --embed …)"
    )
    assert english.json()["error"]["message"] == (
        "collection 'vergabe' was embedded with the model 'fachmodell', which this server does "
        "not serve (hint: its operator can serve the model beside the others with gemeingut "
        "serve … --also fachmodell=FOLDER, or ingest the collection's documents into a new "
        "collection with a model this server serves: gemeingut rag ingest … --embed …)"
    )
    assert str(tmp_path) not in german.text + english.text  # the server's paths stay its own
    assert vergabe_state(collections) == before
    refusals = [r for r in export(engine) if r["route"] == "/v1/collections/vergabe/documents"]
    assert {(r["status"], r["decision"]) for r in refusals} == {(409, "collection_unusable")}

    also = TransformersBackend(model_dir, model_name=MODEL)  # served beside: --also NAME=FOLDER
    app = create_app(
        backend,
        gateway=Gateway(engine),
        collections=collections,
        upload_max_bytes=MIB,
        also=(ModelEntry(also),),
    )
    with serve(app) as url:
        taken = upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md")
    assert taken.status_code == 200, taken.text
    assert "Förderantrag.md" in open_collection(collections, "vergabe").meta["documents"]
    embedded = [r for r in export(engine) if r["status"] == 200 and r["prompt_tokens"]]
    assert [r["model"] for r in embedded] == [MODEL]


def test_a_dense_search_names_the_model_too_and_bm25_still_searches(
    tmp_path: Path, collections: Path, backend: TransformersBackend, serve: Serve
) -> None:
    made_elsewhere(collections, tmp_path)
    engine, keys = staff(tmp_path)
    app = create_app(backend, gateway=Gateway(engine), collections=collections)
    route = "/v1/collections/vergabe/search"
    with serve(app) as url:

        def search(mode: str):
            return httpx.post(
                url + route,
                json={"query": "Frist für Angebote", "mode": mode},
                headers={"authorization": f"Bearer {keys['eva']}"},
                timeout=60,
            )

        refused = {mode: search(mode) for mode in ("dense", "hybrid")}
        lexical = search("bm25")
    for answer in refused.values():
        assert answer.status_code == 409, answer.text
        error = answer.json()["error"]
        assert error["code"] == "collection_unusable"
        assert error["message"].startswith(
            "die Sammlung „vergabe“ wurde mit dem Modell „fachmodell“ eingebettet, das dieser "
            "Server nicht bereitstellt"
        )
        assert str(tmp_path) not in answer.text
    assert lexical.status_code == 200 and lexical.json()["data"], lexical.text
    searches = [r for r in export(engine) if r["route"] == route]
    assert [(r["status"], r["decision"]) for r in searches] == [
        (409, "collection_unusable"),
        (409, "collection_unusable"),
        (200, "allowed"),
    ]
