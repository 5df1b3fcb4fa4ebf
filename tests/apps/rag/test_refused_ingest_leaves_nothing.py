"""A document uploaded to a collection through the server (`serve --upload-max-mb`) that the
server refuses or that fails leaves the collection exactly as it was: every file under its
folder (its record, its index, `files/`) byte for byte. Before, a file that could not be read
(a damaged PDF) was refused but the collection switched to a new index and record all the
same, and a refused upload to a collection without documents left a `files/` folder behind;
a refused upload's copy was removed only where no other change held the collection. Real HTTP
on loopback, a real SQLite gateway, the tiny model embedding as the served one."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import ingest, open_collection
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key
from gemeingut.serve.gateway.quotas import set_limits
from gemeingut.serve.gateway.store import open_store
from tests.apps.rag.documents import PAGES, write_scanned_pdf
from tests.http_server import running_server

MIB = 1024 * 1024
NOTE = "Der Antrag auf Förderung ist bis zum 31. März beim Kulturamt einzureichen."


@dataclass
class Office:
    url: str
    store: object
    root: Path
    keys: dict[str, str]

    def upload(self, name: str, data: bytes, filename: str, who: str = "anna") -> httpx.Response:
        return httpx.post(
            f"{self.url}/v1/collections/{name}/documents",
            params={"filename": filename},
            content=data,
            headers={
                "Content-Type": "application/octet-stream",
                "Authorization": f"Bearer {self.keys[who]}",
            },
            timeout=120,
        )


def state(folder: Path) -> dict[str, str]:
    """Every folder and file under a collection's folder, each file by its bytes' sha256."""
    return {
        path.relative_to(folder).as_posix(): (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        )
        for path in sorted(folder.rglob("*"))
    }


@pytest.fixture
def office(model_dir: Path, tmp_path: Path) -> Iterator[Office]:
    """Collection `amt` of the operator's `notiz.txt`, `leer` of no document yet, both of the
    group amt with vectors of the served model; anna is in amt, otto in bau."""
    store = open_store(str(tmp_path / "gateway.db"))
    keys = {}
    for user, group in (("anna", "amt"), ("otto", "bau")):
        add_group(store, group)
        add_user(store, user, (group,))
        keys[user] = create_key(store, user)[1]
    root, spec = tmp_path / "collections", EmbedderSpec(str(model_dir))
    (tmp_path / "notiz.txt").write_text("Die Frist für Angebote beträgt 30 Tage.", "utf-8")
    ingest(root, "amt", [tmp_path / "notiz.txt"], groups=["amt"], embed=spec)
    (tmp_path / "leer").mkdir()
    ingest(root, "leer", [tmp_path / "leer"], groups=["amt"], embed=spec)
    backend = TransformersBackend(model_dir, model_name=model_dir.resolve().name)
    gateway = Gateway(store)
    app = create_app(backend, gateway=gateway, collections=root, upload_max_bytes=MIB)
    with running_server(app) as url:
        yield Office(url, store, root, keys)


def test_a_file_the_server_cannot_read_leaves_the_collection_as_it_was(office: Office) -> None:
    before = state(office.root / "amt")
    for data, filename in (
        (b"%PDF-1.4 kaputt", "kaputt.pdf"),  # damaged
        (b"   \n\n  ", "leer.txt"),  # no text to search
        (b"Die Frist f\xc3\xbcr Angebote betr\xc3\xa4gt 30 Tage.", "kopie.txt"),  # notiz.txt's
    ):
        refused = office.upload("amt", data, filename)
        assert refused.status_code == 400, (filename, refused.text)
        assert refused.json()["error"]["code"] == "document_not_taken", refused.text
        assert state(office.root / "amt") == before, filename


def test_an_upload_the_server_refuses_leaves_the_collection_as_it_was(office: Office) -> None:
    amt, leer = office.root / "amt", office.root / "leer"
    before = {"amt": state(amt), "leer": state(leer)}
    assert "files" not in before["leer"]  # no document yet: no folder of copies either
    refusals = [
        ("amt", NOTE.encode(), "Förderantrag.md", "otto", 404),  # another group's
        ("amt", NOTE.encode(), "notiz.txt", "anna", 403),  # the operator's document
        ("amt", b"x" * (MIB + 1), "gross.txt", "anna", 413),  # larger than the server takes
    ]
    for name, data, filename, who, status in refusals:
        refused = office.upload(name, data, filename, who)
        assert refused.status_code == status, (filename, refused.text)
    set_limits(office.store, "user", "anna", tokens_per_day=1)  # the embedding is refused
    for name in ("amt", "leer"):
        refused = office.upload(name, NOTE.encode(), "Förderantrag.md")
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["param"] == "tokens_per_day"
    # a scan read with Tesseract before the embedding is refused: its reading goes too
    scan = write_scanned_pdf(office.root.parent / "scan.pdf", PAGES[:1]).read_bytes()
    refused = office.upload("amt", scan, "Scan.pdf")
    assert refused.status_code == 429, refused.text
    assert {"amt": state(amt), "leer": state(leer)} == before

    set_limits(office.store, "user", "anna", tokens_per_day=None)
    for name in ("amt", "leer"):  # taken: what the refusals left unchanged changes now
        added = office.upload(name, NOTE.encode(), "Förderantrag.md")
        assert added.status_code == 200, added.text
        assert "Förderantrag.md" in open_collection(office.root, name).meta["documents"]
    assert state(amt) != before["amt"] and "files" in state(leer)
