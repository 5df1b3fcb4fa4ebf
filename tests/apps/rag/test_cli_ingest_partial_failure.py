"""`gemeingut rag ingest` of three files, the second of which fails, keeps to one rule: nothing
half-written. A file that cannot be read is skipped and named (exit 1), the others are taken,
the collection holds them whole. An ingest that fails halfway (the embedding endpoint refuses
the second file's vectors) changes nothing: the index and record stay, and so does `files/`;
before, the copies of the files read before the refusal stayed in `files/` (of a collection
that did not exist yet, a `files/` folder no collection named). Real files, real HTTP on
loopback to a server with a real SQLite gateway, the tiny model embedding."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.apps.rag.index import list_collections, open_collection
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.quotas import set_limits
from tests.apps.office_server import OfficeServer, office_server
from tests.test_cli import invoke

SHORT = "Die Frist für Angebote beträgt dreißig Tage."
LONG = "\n\n".join(  # many chunks: far more tokens to embed than the first file's
    f"## Abschnitt {n}\n\nDie Vergabestelle prüft jedes Angebot auf Vollständigkeit, "
    f"Eignung und Wirtschaftlichkeit, bevor sie über den Zuschlag entscheidet ({n})."
    for n in range(40)
)


def state(folder: Path) -> dict[str, str]:
    """Every folder and file under a collection's folder, each file by its bytes' sha256."""
    return {
        path.relative_to(folder).as_posix(): (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        )
        for path in sorted(folder.rglob("*"))
    }


def three_files(folder: Path, second: bytes) -> Path:
    """a.md, b (`second`), c.md: ingested in that order."""
    folder.mkdir()
    (folder / "a.md").write_text(SHORT, encoding="utf-8")
    (folder / "b.md").write_bytes(second)
    (folder / "c.md").write_text("Der Zuschlag geht an das wirtschaftlichste Angebot.", "utf-8")
    return folder


def said(result) -> str:
    return " ".join(result.output.split())


def test_an_unreadable_second_file_is_named_and_the_others_are_taken_whole(
    tmp_path: Path,
) -> None:
    docs = three_files(tmp_path / "neu", b"")
    (docs / "b.md").unlink()
    (docs / "b.pdf").write_bytes(b"%PDF-1.4 kaputt")
    root = tmp_path / "c"
    result = invoke("rag", "ingest", "v", docs, "--root", root)
    shown = said(result)
    assert result.exit_code == 1, shown
    assert f"übersprungen: {docs / 'b.pdf'}: die Datei ist beschädigt" in shown
    collection = open_collection(root, "v")
    assert sorted(collection.meta["documents"]) == ["neu/a.md", "neu/c.md"]
    assert sorted({c.document for c in collection.chunks}) == ["neu/a.md", "neu/c.md"]
    stored = {p.name for p in (root / "v" / "files").iterdir()}
    assert stored == {r["file"] for r in collection.meta["documents"].values()}  # no b.pdf

    (docs / "b.pdf").unlink()  # the bad file gone: the next ingest changes nothing else
    before = sorted(open_collection(root, "v").meta["documents"].items())
    again = invoke("rag", "ingest", "v", docs, "--root", root)
    assert again.exit_code == 0, said(again)
    assert sorted(open_collection(root, "v").meta["documents"].items()) == before


class Embedding(OfficeServer):
    def ingest(self, name: str, folder: Path):
        return invoke(
            "rag", "ingest", name, folder, "--root", self.root, "--embed", f"{self.url}/v1"
        )  # fmt: skip

    def statuses(self) -> list[int]:
        return [r["status"] for r in export(self.store) if r["route"] == "/v1/embeddings"]


@pytest.fixture
def embedding(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Embedding]:
    with office_server(model_dir, tmp_path, Embedding, memo=None) as served:
        monkeypatch.setenv("GEMEINGUT_API_KEY", served.keys["anna"][1])
        yield served


def test_an_ingest_refused_halfway_leaves_the_collection_as_it_was(
    embedding: Embedding, tmp_path: Path
) -> None:
    first = tmp_path / "erste"
    first.mkdir()
    (first / "notiz.md").write_text("Angebote sind schriftlich einzureichen.", "utf-8")
    assert embedding.ingest("v", first).exit_code == 0
    folder = embedding.root / "v"
    before = state(folder)
    docs = three_files(tmp_path / "neu", LONG.encode())
    # anna's allowance, counted from now, holds a.md's vectors and not b.md's: each new
    # document of a collection with vectors is embedded in turn, after its copy is stored
    set_limits(embedding.store, "user", "anna", tokens_per_day=300)
    result = embedding.ingest("v", docs)
    shown = said(result)
    assert result.exit_code == 2, shown
    assert embedding.statuses() == [200, 200, 429]  # the first ingest, a.md, b.md refused
    assert "/v1/embeddings antwortete 429: " in shown and "Person anna" in shown
    assert "Traceback" not in shown
    assert state(folder) == before  # the index, the record and files/ as they were

    set_limits(embedding.store, "user", "anna", tokens_per_day=None)
    taken = embedding.ingest("v", docs)
    assert taken.exit_code == 0, said(taken)
    assert sorted(open_collection(embedding.root, "v").meta["documents"]) == [
        "erste/notiz.md",
        "neu/a.md",
        "neu/b.md",
        "neu/c.md",
    ]


def test_a_new_collection_whose_ingest_fails_leaves_no_copies(
    embedding: Embedding, tmp_path: Path
) -> None:
    docs = three_files(tmp_path / "neu", LONG.encode())
    set_limits(embedding.store, "user", "anna", tokens_per_day=300)
    result = embedding.ingest("neu", docs)
    assert result.exit_code == 2, said(result)
    assert embedding.statuses() == [429]  # a new collection's vectors: one request, refused
    assert list_collections(embedding.root) == []
    assert set(state(embedding.root / "neu")) <= {".lock"}  # no files/, no index
