"""An upload to a collection that a newer gemeingut reads otherwise (`READER_FORMAT` rose)
reads the collection's other documents again and embeds those whose chunks changed: that is
the operator's upkeep. The uploader's tokens_per_day is charged for their own document only;
the upkeep is in the audit log as a record of its own (`maintenance`, under no person and no
key) with its token count. Real HTTP, a real gateway database, the tiny model served."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from fastapi import FastAPI

from gemeingut.apps.rag.index import COLLECTION_FILE, open_collection
from gemeingut.apps.rag.storage import CHUNKS
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from tests.serve.test_collection_uploads import MIB, NOTE, upload
from tests.serve.test_collections import collections as collections  # a fixture
from tests.serve.test_collections import staff

Serve = Callable[[FastAPI], AbstractContextManager[str]]
ROUTE = "/v1/collections/vergabe/documents"


def as_read_by_older_readers(folder: Path) -> None:
    """The collection in `folder` as the format before this one stored it: each document's
    record says so, and its chunks' text is not what the readers make of it now."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = json.loads((folder / COLLECTION_FILE).read_text(encoding="utf-8"))
    for record in meta["documents"].values():
        record["reader"] = 1  # the first format, older than every kind's last change
    (folder / COLLECTION_FILE).write_text(json.dumps(meta), encoding="utf-8")
    chunks = folder / meta["index"] / CHUNKS
    table = pq.read_table(chunks).to_pydict()
    table["text"] = [text.replace(" ", "  ") for text in table["text"]]
    pq.write_table(pa.table(table, schema=pq.read_schema(chunks)), chunks)


def test_the_uploader_is_charged_for_their_document_not_for_reading_the_others_again(
    tmp_path: Path, collections: Path, model_dir: Path, serve: Serve
) -> None:
    served = TransformersBackend(model_dir, model_name=model_dir.resolve().name)
    engine, keys = staff(tmp_path)
    set_limits(engine, "user", "eva", tokens_per_day=100_000)
    as_read_by_older_readers(collections / "vergabe")
    app = create_app(served, gateway=Gateway(engine), collections=collections, upload_max_bytes=MIB)
    with serve(app) as url:
        added = upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md")
        assert added.status_code == 200, added.text
    collection = open_collection(collections, "vergabe")
    assert collection.outdated == []  # notiz.txt was read again and embedded again
    assert [c.text for c in collection.chunks if c.document == "vergabe/notiz.txt"] == [
        "Die Frist für Angebote beträgt dreißig Tage."
    ]
    embedded = [r for r in export(engine) if r["route"] == ROUTE and r["prompt_tokens"]]
    by_decision = {r["decision"]: r for r in embedded}
    assert sorted(by_decision) == ["allowed", "maintenance"], embedded
    own, upkeep = by_decision["allowed"], by_decision["maintenance"]
    assert own["user_pseudonym"] and own["key_id"]
    assert (upkeep["user_pseudonym"], upkeep["key_id"]) == (None, None)
    assert (upkeep["status"], upkeep["model"]) == (200, served.model_name)
    assert upkeep["x_request_id"] == own["x_request_id"]  # the upload that caused it
    spent = usage(engine, "user", "eva", utcnow())
    assert (spent["tokens_today"], spent["tokens_reserved"]) == (own["prompt_tokens"], 0)
