"""Documents added to a collection over real HTTP (`serve --upload-max-mb`): members of its
groups add, replace and remove them, and the next search finds what they added; other groups
cannot reach the collection; uploads are off unless the operator turns them on; a file that
cannot be a document is refused with why, the collection unchanged; the audit log names no
document."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gemeingut.apps.rag.index import ingest, open_collection
from gemeingut.apps.rag.storage import locked
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from tests.serve.test_collections import collections as collections  # a fixture
from tests.serve.test_collections import search, staff
from tests.serve.test_serve_start import environment, serve_command

Serve = Callable[[FastAPI], AbstractContextManager[str]]
NOTE = "Der Antrag auf Förderung ist bis zum 31. März beim Kulturamt einzureichen."
MIB = 1024 * 1024


@pytest.fixture
def uploading(
    tmp_path: Path, collections: Path, backend: TransformersBackend, serve: Serve
) -> Iterator[tuple[str, Gateway, dict[str, str]]]:
    engine, keys = staff(tmp_path)
    gateway = Gateway(engine)
    app = create_app(backend, gateway=gateway, collections=collections, upload_max_bytes=MIB)
    with serve(app) as url:
        yield url, gateway, keys


def vergabe_state(root: Path) -> tuple[list[str], list[str], list[Path]]:
    """What a refused upload to `vergabe` must not change: its documents, their stored copies,
    no leftovers."""
    folder = root / "vergabe"
    return (
        sorted(open_collection(root, "vergabe").meta["documents"]),
        sorted(p.name for p in (folder / "files").iterdir()),
        list(folder.glob(".upload-*")),
    )


def upload(
    url: str, key: str | None, name: str, data: bytes, filename: str, **headers
) -> httpx.Response:
    signed = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(
        f"{url}/v1/collections/{name}/documents",
        params={"filename": filename},
        content=data,
        headers={"Content-Type": "application/octet-stream", **signed, **headers},
        timeout=60,
    )


def documents(url: str, key: str, name: str) -> httpx.Response:
    return httpx.get(
        f"{url}/v1/collections/{name}/documents",
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )


def found(url: str, key: str, query: str) -> list[str]:
    hits = search(url, key, "vergabe", query=query, mode="bm25").json()["data"]
    return [h["document"] for h in hits]


def test_a_member_adds_replaces_and_removes_a_document_that_search_then_finds(
    uploading, collections: Path
) -> None:
    url, gateway, keys = uploading
    added = upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md")
    assert added.status_code == 200, added.text
    assert added.json() | {"chunks": 1} == {
        "object": "collection.document",
        "collection": "vergabe",
        "document": "Förderantrag.md",
        "status": "added",
        "chunks": 1,
        "documents": 2,
        "control_characters": 0,
        "note": None,
    }
    assert found(url, keys["eva"], "Förderung Kulturamt")[0] == "Förderantrag.md"
    again = upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md")
    assert again.json()["status"] == "unchanged"
    changed = NOTE.replace("Kulturamt", "Sportamt").encode()
    replaced = upload(url, keys["eva"], "vergabe", changed, "Förderantrag.md")
    assert replaced.json()["status"] == "updated"
    assert found(url, keys["eva"], "Sportamt")[0] == "Förderantrag.md"
    listed = documents(url, keys["eva"], "vergabe").json()
    assert [d["id"] for d in listed["data"]] == ["Förderantrag.md", "vergabe/notiz.txt"]
    assert listed["uploads"] is True and listed["max_upload_bytes"] == MIB
    removed = httpx.delete(
        f"{url}/v1/collections/vergabe/documents",
        params={"document": "Förderantrag.md"},
        headers={"Authorization": f"Bearer {keys['eva']}"},
        timeout=60,
    )
    assert removed.json()["status"] == "removed" and removed.json()["documents"] == 1
    assert "Förderantrag.md" not in found(url, keys["eva"], "Sportamt")
    folder = collections / "vergabe"
    assert not list(folder.glob(".upload-*"))  # the temporary copies are gone
    assert len(list((folder / "files").iterdir())) == 1  # and the stored copy with its document
    records = export(gateway.engine)
    routes = {(r["route"], r["status"]) for r in records}
    assert ("/v1/collections/vergabe/documents", 200) in routes
    assert "Förderantrag" not in str(records) and "Kulturamt" not in str(records)


def test_another_groups_member_cannot_reach_the_collection(uploading, collections: Path) -> None:
    url, _, keys = uploading
    refused = upload(url, keys["paul"], "vergabe", NOTE.encode(), "Förderantrag.md")
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "collection_not_found"
    assert documents(url, keys["paul"], "vergabe").status_code == 404
    gone = httpx.delete(
        f"{url}/v1/collections/vergabe/documents",
        params={"document": "vergabe/notiz.txt"},
        headers={"Authorization": f"Bearer {keys['paul']}"},
    )
    assert gone.status_code == 404
    assert list(open_collection(collections, "vergabe").meta["documents"]) == ["vergabe/notiz.txt"]


def test_files_that_cannot_be_documents_are_refused_with_why(uploading, collections: Path) -> None:
    url, _, keys = uploading
    eva = keys["eva"]
    cases = {
        "../geheim.md": (400, "Pfad"),
        "programm.exe": (400, ".pdf"),
        ".versteckt.md": (400, "versteckt"),
    }
    for filename, (status, said) in cases.items():
        answer = upload(url, eva, "vergabe", NOTE.encode(), filename)
        assert answer.status_code == status, (filename, answer.text)
        assert said in answer.json()["error"]["message"], answer.text
    empty = upload(url, eva, "vergabe", b"", "leer.md")
    assert empty.status_code == 400 and "leer" in empty.json()["error"]["message"]
    broken = upload(url, eva, "vergabe", b"%PDF-1.4 kaputt", "kaputt.pdf")
    assert broken.status_code == 400, broken.text
    assert broken.json()["error"]["code"] == "document_not_taken"
    copy = open_collection(collections, "vergabe").document_file("vergabe/notiz.txt")
    twice = upload(url, eva, "vergabe", copy.read_bytes(), "kopie.txt")
    assert twice.status_code == 400 and "vergabe/notiz.txt" in twice.json()["error"]["message"]
    large = upload(url, eva, "vergabe", b"x" * (MIB + 1), "gross.txt")
    assert large.status_code == 413
    assert large.json()["error"]["message"] == (
        "Die Datei ist größer, als dieser Server annimmt (1 MiB)"
    )
    as_pdf = upload(url, eva, "vergabe", b"%PDF", "typ.pdf", **{"Content-Type": "application/pdf"})
    assert as_pdf.json()["error"]["code"] == "document_not_taken"  # its own type: read, no 415
    long = upload(url, eva, "vergabe", NOTE.encode(), "ä" * 150 + ".txt")
    assert long.status_code == 400 and "länger als" in long.json()["error"]["message"]
    huge = upload(url, eva, "vergabe", NOTE.encode(), "\t" + "x" * 5000 + ".txt")
    said = huge.json()["error"]["message"]  # said by its length, not said back in full
    assert huge.status_code == 400 and "länger als" in said and len(said) < 200, said
    docx = upload(url, eva, "vergabe", b"kein zip", "bericht.docx")
    said = docx.json()["error"]["message"]
    assert docx.status_code == 400 and "bericht.docx" in said
    assert str(collections) not in said and ".upload-" not in said  # no server path
    assert sorted(open_collection(collections, "vergabe").meta["documents"]) == [
        "vergabe/notiz.txt"
    ]


def test_uploads_are_off_unless_the_operator_turns_them_on(
    tmp_path: Path, collections: Path, backend: TransformersBackend, serve: Serve
) -> None:
    engine, keys = staff(tmp_path)
    with serve(create_app(backend, gateway=Gateway(engine), collections=collections)) as url:
        refused = upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md")
        assert refused.status_code == 403
        assert "--upload-max-mb" in refused.json()["error"]["message"]
        listed = documents(url, keys["eva"], "vergabe").json()
        assert listed["uploads"] is False and [d["id"] for d in listed["data"]] == [
            "vergabe/notiz.txt"
        ]
        chat_sized = upload(url, keys["eva"], "vergabe", b"x" * (5 * MIB), "gross.txt")
        assert chat_sized.status_code == 413  # the request limit, not a file taken


def test_upload_limit_without_collections_is_refused_before_the_model_loads(
    model_dir: Path,
) -> None:
    done = subprocess.run(
        serve_command(str(model_dir), "--upload-max-mb", "5"),
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "--upload-max-mb" in done.stderr and "--collections" in done.stderr


def test_every_version_of_a_collection_shares_one_opened_embedder(
    collections: Path, backend: TransformersBackend, serve: Serve
) -> None:
    """Each upload makes a new version of the collection; its dense search must not load the
    embedding model again (seconds and memory each time)."""
    app = create_app(backend, collections=collections, upload_max_bytes=MIB)
    with serve(app) as url:
        embedders = []
        for n in range(2):
            text = f"{NOTE} Fassung {n}.".encode()
            assert upload(url, None, "vergabe", text, "Förderantrag.md").status_code == 200
            dense = search(url, None, "vergabe", mode="dense", k=2)
            assert dense.status_code == 200, dense.text
            embedders.append(app.state.collections.get("vergabe")._embedder)
        assert embedders[0] is embedders[1] and embedders[0]._opened is not None


def test_what_a_page_of_another_site_could_send_is_refused(
    tmp_path: Path, collections: Path, backend, serve: Serve
) -> None:
    """On a loopback server without keys, any web page the person opens could POST a form or
    text/plain (no CORS preflight) and plant a document that answers then quote."""
    app = create_app(backend, collections=collections, upload_max_bytes=MIB)
    with serve(app) as url:
        for declared in (
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded",
        ):
            sent = upload(url, None, "vergabe", NOTE.encode(), "a.md", **{"Content-Type": declared})
            assert sent.status_code == 415, (declared, sent.text)
            assert "--data-binary" in sent.json()["error"]["message"]
        bare = httpx.post(
            f"{url}/v1/collections/vergabe/documents",
            params={"filename": "a.md"},
            content=NOTE.encode(),
        )
        assert bare.status_code == 415
        assert "mit einem Dateityp (Content-Type)" in bare.json()["error"]["message"]
        zipped = upload(url, None, "vergabe", NOTE.encode(), "a.md", **{"Content-Encoding": "gzip"})
        assert zipped.status_code == 415
    assert list(open_collection(collections, "vergabe").meta["documents"]) == ["vergabe/notiz.txt"]


def test_without_a_key_a_body_is_held_only_as_far_as_any_requests(uploading) -> None:
    url, _, keys = uploading
    big = b"x" * (5 * 1024 * 1024)  # above the request limit (4 MiB), below no upload limit
    with_key = httpx.post(
        f"{url}/v1/collections/vergabe/documents",
        params={"filename": "gross.txt"},
        content=big,
        headers={
            "Content-Type": "application/octet-stream",
            "Authorization": f"Bearer {keys['eva']}",
        },
    )
    assert with_key.status_code == 413 and "Datei" in with_key.json()["error"]["message"]
    without = upload(url, None, "vergabe", big, "gross.txt")
    assert without.status_code == 413
    assert "Anfrage" in without.json()["error"]["message"]  # the request limit, not the file's


def test_the_operators_documents_are_not_replaced_or_removed_through_the_api(
    uploading, collections: Path, tmp_path: Path
) -> None:
    url, _, keys = uploading
    rule = tmp_path / "regel.txt"
    rule.write_text("Dienstanweisung: Angebote werden vier Wochen aufbewahrt.", encoding="utf-8")
    ingest(collections, "vergabe", [rule])  # the operator's own, under the key regel.txt
    swapped = upload(url, keys["eva"], "vergabe", b"Angebote sofort vernichten.", "regel.txt")
    assert swapped.status_code == 403 and swapped.json()["error"]["code"] == "document_of_operator"
    for key in ("regel.txt", "vergabe/notiz.txt"):
        gone = httpx.delete(
            f"{url}/v1/collections/vergabe/documents",
            params={"document": key},
            headers={"Authorization": f"Bearer {keys['eva']}"},
        )
        assert gone.status_code == 403, gone.text
    listed = documents(url, keys["eva"], "vergabe").json()["data"]
    assert [d["uploaded"] for d in listed] == [False, False]
    assert (
        "vier Wochen"
        in open_collection(collections, "vergabe").document_file("regel.txt").read_text()
    )


def test_a_collection_being_changed_is_said_busy_at_once(uploading, collections: Path) -> None:
    url, _, keys = uploading
    with locked(collections / "vergabe"):  # another ingest holds the collection
        busy = upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md")
    assert busy.status_code == 409 and busy.headers["Retry-After"] == "5"
    assert busy.json()["error"]["code"] == "collection_busy"
    assert upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md").status_code == 200


def test_an_uploads_copy_left_by_a_dead_server_goes_at_the_next_change(
    uploading, collections: Path
) -> None:
    url, _, keys = uploading
    folder = collections / "vergabe"
    old, fresh = folder / ".upload-alt", folder / ".upload-jetzt"
    for left in (old, fresh):
        left.mkdir()
        (left / "Personalakte.md").write_text("vertraulich", encoding="utf-8")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert upload(url, keys["eva"], "vergabe", NOTE.encode(), "Förderantrag.md").status_code == 200
    assert not old.exists() and fresh.exists()  # one running now may own the fresh one
