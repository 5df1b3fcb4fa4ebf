"""An upload whose collection is embedded by another server (`--embed http://…`) counts against
the uploader's tokens here too: the most the texts can be is reserved (a 429 before anything is
sent out, nothing of the document left behind), and the count the encoder's answer states is
settled; an encoder that states none leaves the record's counts empty and the reservation
counts. Real HTTP both ways: a small encoder on loopback, and a second `gemeingut serve`."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from fastapi import FastAPI

from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import ingest
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from tests.http_server import serving_process
from tests.serve.embedding_endpoint import MODEL, embedding_endpoint, tokens_of
from tests.serve.test_collection_uploads import MIB, NOTE, upload, vergabe_state
from tests.serve.test_collections import staff

Serve = Callable[[FastAPI], AbstractContextManager[str]]
ROUTE = "/v1/collections/vergabe/documents"


def encoded_collection(tmp_path: Path, url: str, model: str) -> Path:
    """The group einkauf's collection `vergabe`, its vectors made by the encoder at `url`."""
    root = tmp_path / "collections"
    folder = tmp_path / "vergabe"
    folder.mkdir()
    (folder / "notiz.txt").write_text("Die Frist für Angebote beträgt 30 Tage.", encoding="utf-8")
    ingest(root, "vergabe", [folder], groups=["einkauf"], embed=EmbedderSpec(url, model))
    return root


def _upload_records(engine) -> list[dict]:
    return [r for r in export(engine) if r["route"] == ROUTE and r["model"] is not None]


def test_the_encoders_stated_count_is_what_the_uploader_is_charged(
    tmp_path: Path, backend: TransformersBackend, serve: Serve
) -> None:
    with embedding_endpoint(says_usage=True) as encoder:
        root = encoded_collection(tmp_path, encoder.url, MODEL)
        engine, keys = staff(tmp_path)
        set_limits(engine, "user", "eva", tokens_per_day=1)
        app = create_app(backend, gateway=Gateway(engine), collections=root, upload_max_bytes=MIB)
        before, asked = vergabe_state(root), encoder.arrived
        with serve(app) as url:
            refused = upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md")
            assert refused.status_code == 429, refused.text
            assert "„Tokens pro Tag“ von Person eva ist 1" in refused.json()["error"]["message"]
            assert encoder.arrived == asked  # nothing was sent out
            assert vergabe_state(root) == before  # nothing of the document stays
            assert usage(engine, "user", "eva", utcnow())["tokens_reserved"] == 0

            set_limits(engine, "user", "eva", tokens_per_day=100_000)
            said = len(encoder.said)
            added = upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md")
            assert added.status_code == 200, added.text
        stated = sum(encoder.said[said:])
    assert stated > 0
    spent = usage(engine, "user", "eva", utcnow())
    assert (spent["tokens_today"], spent["tokens_reserved"]) == (stated, 0)
    records = _upload_records(engine)
    assert {(r["status"], r["decision"]) for r in records} == {
        (429, "quota:tokens_per_day"),
        (200, "allowed"),
    }
    embedded = [r for r in records if r["status"] == 200]
    assert [(r["model"], r["prompt_tokens"]) for r in embedded] == [(MODEL, stated)]


def test_an_encoder_that_states_no_count_is_charged_its_reservation(
    tmp_path: Path, backend: TransformersBackend, serve: Serve
) -> None:
    with embedding_endpoint(says_usage=False) as encoder:
        root = encoded_collection(tmp_path, encoder.url, MODEL)
        engine, keys = staff(tmp_path)
        set_limits(engine, "user", "eva", tokens_per_day=100_000)
        app = create_app(backend, gateway=Gateway(engine), collections=root, upload_max_bytes=MIB)
        sent = len(encoder.texts)
        with serve(app) as url:
            added = upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md")
            assert added.status_code == 200, added.text
        texts = encoder.texts[sent:]
    assert texts
    spent = usage(engine, "user", "eva", utcnow())
    # Not counted by anyone: at least what the encoder read is charged, never less.
    assert spent["tokens_today"] >= sum(map(tokens_of, texts)) and spent["tokens_reserved"] == 0
    embedded = [r for r in _upload_records(engine) if r["status"] == 200]
    assert [(r["model"], r["prompt_tokens"]) for r in embedded] == [(MODEL, None)]


def test_a_second_gemeingut_serve_as_the_encoder(
    tmp_path: Path, model_dir: Path, backend: TransformersBackend, serve: Serve
) -> None:
    with serving_process(str(model_dir), "fern") as remote:
        root = encoded_collection(tmp_path, f"{remote}/v1", "fern")
        engine, keys = staff(tmp_path)
        set_limits(engine, "user", "eva", tokens_per_day=1)
        app = create_app(backend, gateway=Gateway(engine), collections=root, upload_max_bytes=MIB)
        before = vergabe_state(root)
        with serve(app) as url:
            refused = upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md")
            assert refused.status_code == 429, refused.text
            assert vergabe_state(root) == before
            set_limits(engine, "user", "eva", tokens_per_day=100_000)
            added = upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md")
            assert added.status_code == 200, added.text
    embedded = [r for r in _upload_records(engine) if r["status"] == 200]
    assert [r["model"] for r in embedded] == ["fern"]
    counted = embedded[0]["prompt_tokens"]
    assert counted is not None and 0 < counted <= len(NOTE.encode("utf-8"))
    spent = usage(engine, "user", "eva", utcnow())
    assert (spent["tokens_today"], spent["tokens_reserved"]) == (counted, 0)
