"""Who sees a collection and what is in it: an ingest never changes its groups, `rag groups`
does (and a running server follows), a collection without groups is named as seen by nobody,
a file is held once, and `rag remove` takes a document out of index, vectors and files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import COLLECTION_FILE, ingest, open_collection, remove
from gemeingut.apps.rag.retrieve import search
from gemeingut.errors import InputError
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key
from gemeingut.serve.gateway.store import open_store
from tests.http_server import running_server
from tests.test_cli import invoke

KANTINE = "# Kantine\n\nDie Kantine öffnet um elf Uhr und schließt um vierzehn Uhr.\n"
PARKEN = "# Parken\n\nDer Parkausweis kostet zehn Euro im Monat.\n"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docsB"
    folder.mkdir()
    (folder / "kantine.md").write_text(KANTINE, encoding="utf-8")
    (folder / "parken.md").write_text(PARKEN, encoding="utf-8")
    return folder


def meta(root: Path, name: str = "amtB") -> dict:
    return json.loads((root / name / COLLECTION_FILE).read_text(encoding="utf-8"))


def found_documents(root: Path, question: str, name: str = "amtB") -> list[str]:
    collection = open_collection(root, name)
    return [collection.chunks[h.row].document for h in search(collection, question, mode="bm25")]


def test_an_ingest_keeps_the_groups_and_refuses_other_groups_with_a_hint(
    docs: Path, tmp_path: Path
) -> None:
    root = tmp_path / "c"
    assert ingest(root, "amtB", [docs], groups=["einkauf"]).groups == ["einkauf"]
    assert ingest(root, "amtB", [docs]).groups == ["einkauf"]  # no --group: kept
    assert ingest(root, "amtB", [docs], groups=[" einkauf"]).groups == ["einkauf"]
    before = (root / "amtB" / COLLECTION_FILE).read_bytes()
    with pytest.raises(
        InputError, match="die Sammlung „amtB“ ist für einkauf sichtbar, nicht für andere"
    ) as refused:
        ingest(root, "amtB", [docs / "kantine.md"], groups=["andere"])
    assert "rag groups amtB --set" in str(refused.value.hint)
    assert (root / "amtB" / COLLECTION_FILE).read_bytes() == before  # nothing written
    result = invoke("rag", "ingest", "amtB", docs, "--root", root, "--group", "andere")
    assert result.exit_code == 2 and "nicht für andere" in result.output
    assert meta(root)["groups"] == ["einkauf"]


def test_groups_are_shown_added_removed_and_set_in_one_rename(docs: Path, tmp_path: Path) -> None:
    root = tmp_path / "c"
    ingest(root, "amtB", [docs], groups=["einkauf"])
    shown = invoke("rag", "groups", "amtB", "--root", root)
    said = "Die Sammlung „amtB“ ist für die Gruppe einkauf sichtbar"
    assert shown.exit_code == 0 and said in shown.output, shown.output
    added = invoke("rag", "groups", "amtB", "--root", root, "--add", "andere", "--json")
    assert json.loads(added.stdout) == {"name": "amtB", "groups": ["andere", "einkauf"]}
    both = invoke("rag", "groups", "amtB", "--root", root)
    assert "Die Sammlung „amtB“ ist für die Gruppen andere, einkauf sichtbar" in both.output
    removed = invoke("rag", "groups", "amtB", "--root", root, "--remove", "andere")
    assert removed.exit_code == 0 and "für die Gruppe einkauf sichtbar" in removed.output
    assert meta(root)["groups"] == ["einkauf"]
    typo = invoke("rag", "groups", "amtB", "--root", root, "--remove", "einkaf")
    assert typo.exit_code == 2 and "hat keine Gruppe „einkaf“" in typo.output
    assert "ihre Gruppen: einkauf" in typo.output
    both = invoke("rag", "groups", "amtB", "--root", root, "--set", "a", "--add", "b")
    assert both.exit_code == 2 and "--set nennt alle Gruppen" in both.output
    replaced = invoke("rag", "groups", "amtB", "--root", root, "--set", "rat", "--set", "amt")
    assert replaced.exit_code == 0 and meta(root)["groups"] == ["amt", "rat"]
    assert sorted(p.name for p in (root / "amtB").iterdir() if ".tmp" in p.name) == []
    missing = invoke("rag", "groups", "fehlt", "--root", root, "--add", "x")
    assert missing.exit_code == 2 and "keine Sammlung „fehlt“" in missing.output
    assert not (root / "fehlt").exists()


def test_a_collection_without_groups_is_named_as_seen_by_nobody(docs: Path, tmp_path: Path) -> None:
    root = tmp_path / "c"
    nobody = "amtB hat keine Gruppe: auf einem Server mit Nutzerkonten (--db) sieht sie niemand"
    ingested = invoke("rag", "ingest", "amtB", docs, "--root", root)
    assert ingested.exit_code == 0 and nobody in ingested.output
    assert "rag groups amtB --add GRUPPE" in ingested.output
    listed = invoke("rag", "list", "--root", root)
    assert "Gruppen keine" in listed.output and nobody in listed.output
    invoke("rag", "groups", "amtB", "--root", root, "--add", "a")
    emptied = invoke("rag", "groups", "amtB", "--root", root, "--remove", "a")
    assert emptied.exit_code == 0 and nobody in emptied.output
    invoke("rag", "groups", "amtB", "--root", root, "--add", "einkauf")
    for quiet in (
        invoke("rag", "ingest", "amtB", docs, "--root", root),
        invoke("rag", "list", "--root", root),
    ):
        assert quiet.exit_code == 0 and "keine Gruppe" not in quiet.output


def test_a_running_server_follows_changed_groups_and_removed_documents(
    docs: Path, tmp_path: Path, model_dir: Path
) -> None:
    root = tmp_path / "c"
    ingest(root, "amtB", [docs], groups=["einkauf"])
    engine = open_store(str(tmp_path / "gateway.db"))
    for user, group in (("eva", "einkauf"), ("paul", "personalamt")):
        add_group(engine, group)
        add_user(engine, user, (group,))
    keys = {user: create_key(engine, user)[1] for user in ("eva", "paul")}
    backend = TransformersBackend(model_dir, model_name="winzig")
    app = create_app(backend, gateway=Gateway(engine), collections=root)

    def searched(url: str, user: str, query: str = "Kantine elf Uhr") -> httpx.Response:
        return httpx.post(
            f"{url}/v1/collections/amtB/search",
            json={"query": query, "mode": "bm25"},
            headers={"Authorization": f"Bearer {keys[user]}"},
            timeout=60,
        )

    with running_server(app) as url:
        assert searched(url, "eva").status_code == 200
        assert searched(url, "paul").status_code == 404
        changed = invoke("rag", "groups", "amtB", "--root", root, "--set", "personalamt")
        assert changed.exit_code == 0, changed.output
        assert searched(url, "eva").status_code == 404  # revoked, without a restart
        seen = searched(url, "paul")
        assert seen.status_code == 200 and seen.json()["data"][0]["document"] == "docsB/kantine.md"
        taken = invoke("rag", "remove", "amtB", "docsB/kantine.md", "--root", root)
        assert taken.exit_code == 0, taken.output
        assert "amtB: entfernt docsB/kantine.md; Textabschnitte insgesamt: 1" in taken.output
        left = searched(url, "paul", "Kantine Parkausweis").json()["data"]
        assert [hit["document"] for hit in left] == ["docsB/parken.md"]


def test_a_file_already_held_under_another_key_is_skipped_naming_that_key(
    docs: Path, tmp_path: Path
) -> None:
    root = tmp_path / "c"
    ingest(root, "amtB", [docs], groups=["einkauf"])
    again = ingest(root, "amtB", [docs / "kantine.md"])  # the same file, by its own name
    assert again.added == [] and list(again.skipped) == [str(docs / "kantine.md")]
    why = again.skipped[str(docs / "kantine.md")]
    assert "schon in der Sammlung als „docsB/kantine.md“" in why
    assert "gemeingut rag remove amtB docsB/kantine.md" in why
    copy = tmp_path / "kopie.md"
    shutil.copyfile(docs / "kantine.md", copy)  # the same content, another file
    result = invoke("rag", "ingest", "amtB", copy, "--root", root)
    # nothing taken: no "✓ 0 neu", which read as a success
    assert result.exit_code == 1 and "keine der Dateien wurde aufgenommen" in result.output
    assert "derselbe Text wie „docsB/kantine.md“" in " ".join(result.output.split())
    assert sorted(meta(root)["documents"]) == ["docsB/kantine.md", "docsB/parken.md"]
    in_one_go = ingest(tmp_path / "d", "amtB", [docs, docs / "kantine.md"])
    assert in_one_go.added == ["docsB/kantine.md", "docsB/parken.md"]
    assert "schon in der Sammlung" not in str(in_one_go.skipped)
    assert "derselbe Text wie „docsB/kantine.md“" in in_one_go.skipped[str(docs / "kantine.md")]


def test_swapped_or_renamed_files_of_a_folder_are_no_duplicates(docs: Path, tmp_path: Path) -> None:
    root = tmp_path / "c"
    ingest(root, "amtB", [docs], groups=["einkauf"])
    (docs / "kantine.md").write_text(PARKEN, encoding="utf-8")
    (docs / "parken.md").write_text(KANTINE, encoding="utf-8")
    swapped = ingest(root, "amtB", [docs])
    assert swapped.updated == ["docsB/kantine.md", "docsB/parken.md"] and not swapped.skipped
    (docs / "parken.md").rename(docs / "mittag.md")
    renamed = ingest(root, "amtB", [docs])
    assert renamed.added == ["docsB/mittag.md"] and renamed.removed == ["docsB/parken.md"]
    assert not renamed.skipped


def test_remove_takes_a_document_out_of_index_vectors_and_stored_files(
    docs: Path, tmp_path: Path, model_dir: Path
) -> None:
    root = tmp_path / "c"
    ingest(root, "amtB", [docs], groups=["einkauf"], embed=EmbedderSpec(str(model_dir)))
    before = open_collection(root, "amtB")
    stored = before.document_file("docsB/kantine.md")
    kept = {c.id: before.vectors[i].copy() for i, c in enumerate(before.chunks)}
    with pytest.raises(InputError, match=r"enthält kein Dokument „kantine\.md“ \(") as unknown:
        remove(root, "amtB", ["kantine.md", "docsB/parken.md"])
    assert "docsB/kantine.md, docsB/parken.md" in str(unknown.value.hint)
    assert open_collection(root, "amtB").index_folder == before.index_folder  # nothing done
    report = remove(root, "amtB", ["docsB/kantine.md"])
    assert report.removed == ["docsB/kantine.md"] and report.groups == ["einkauf"]
    after = open_collection(root, "amtB")
    assert sorted(after.meta["documents"]) == ["docsB/parken.md"]
    assert {c.document for c in after.chunks} == {"docsB/parken.md"} and report.chunks == 1
    assert after.vectors.shape == (1, before.vectors.shape[1])
    assert (after.vectors[0] == kept[after.chunks[0].id]).all()  # kept, not embedded again
    assert found_documents(root, "Kantine Parkausweis") == ["docsB/parken.md"]
    assert not stored.exists() and not before.index_folder.exists()
    assert [p.name for p in (root / "amtB").glob("index-*")] == [after.index_folder.name]
    again = ingest(root, "amtB", [docs])
    assert again.added == ["docsB/kantine.md"] and again.unchanged == ["docsB/parken.md"]
    remove(root, "amtB", ["docsB/kantine.md", "docsB/parken.md"])
    empty = open_collection(root, "amtB")
    assert empty.size == 0 and empty.vectors is None and found_documents(root, "Kantine") == []
    with pytest.raises(InputError, match="keine Sammlung „fehlt“"):
        remove(root, "fehlt", ["x"])
