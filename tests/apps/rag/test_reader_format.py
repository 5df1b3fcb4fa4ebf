"""A collection whose documents were read by an older version of the readers (sections the
nearest heading, PDF pages the sheet's place) is neither searched nor shown until an ingest
reads those documents again, from the collection's own copies, even if unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import COLLECTION_FILE, ingest, open_collection
from gemeingut.apps.rag.retrieve import search
from gemeingut.apps.rag.storage import READER_FORMAT
from gemeingut.errors import InputError
from tests.apps.rag.documents import (
    LABELLED,
    write_hundesteuer_odt,
    write_labelled_pdf,
    write_markdown,
)
from tests.apps.rag.older_collections import as_stored_by_older_readers
from tests.test_cli import invoke

OUTDATED = r"die Sammlung „satzung“ muss neu aufgenommen werden: „akten/hundesteuer\.odt“, "


@pytest.fixture
def old(tmp_path: Path) -> tuple[Path, Path]:
    """The folder `akten` (a PDF printed i, ii, 1, 2 and a statute as ODT) in collection
    `satzung`, as the older readers stored it: the first dog's tax on page 3 (its sheet)."""
    docs = tmp_path / "akten"
    docs.mkdir()
    write_labelled_pdf(docs / "satzung.pdf")
    write_hundesteuer_odt(docs / "hundesteuer.odt")
    root = tmp_path / "c"
    ingest(root, "satzung", [docs])
    as_stored_by_older_readers(root / "satzung", {"akten/satzung.pdf": LABELLED})
    chunks = open_collection(root, "satzung").chunks
    assert {(c.page, c.section) for c in chunks if "96 Euro" in c.text} == {
        (3, None),
        (None, "§ 2 Steuersatz"),
    }
    return root, docs


def test_a_collection_of_older_readers_is_not_searched_and_says_to_ingest_again(
    old: tuple[Path, Path],
) -> None:
    root, _docs = old
    collection = open_collection(root, "satzung")  # opened, listed, its groups changed: yes
    assert collection.outdated == ["akten/hundesteuer.odt", "akten/satzung.pdf"]
    with pytest.raises(InputError, match=OUTDATED + r"„akten/satzung\.pdf“ wurden") as refused:
        search(collection, "Hundesteuer ersten Hund", mode="bm25")
    assert "gemeingut rag ingest satzung PFAD" in str(refused.value.hint)


def test_an_ingest_reads_every_document_of_older_readers_again_from_its_copy(
    old: tuple[Path, Path], tmp_path: Path, model_dir: Path
) -> None:
    root, docs = old
    other = write_markdown(tmp_path / "hinweise.md")
    report = ingest(root, "satzung", [other], embed=EmbedderSpec(str(model_dir)))
    assert report.added == ["hinweise.md"]  # the folder was not named: its copies are read
    assert report.reread == ["akten/hundesteuer.odt", "akten/satzung.pdf"]
    assert report.unchanged == [] and report.skipped == {}
    collection = open_collection(root, "satzung")
    assert collection.outdated == []
    meta = json.loads((root / "satzung" / COLLECTION_FILE).read_text(encoding="utf-8"))
    assert {r["reader"] for r in meta["documents"].values()} == {READER_FORMAT}
    found = [collection.chunks[h.row] for h in search(collection, "ersten Hund 96 Euro", k=2)]
    assert {(c.document, c.page, c.section) for c in found} == {
        ("akten/satzung.pdf", 1, None),  # printed page 1, on the third sheet
        ("akten/hundesteuer.odt", None, "Satzung über die Hundesteuer › § 2 Steuersatz"),
    }
    assert collection.vectors.shape == (collection.size, collection.vectors.shape[1])
    again = ingest(root, "satzung", [docs, other])
    assert again.reread == [] and again.unchanged == [
        "akten/hundesteuer.odt",
        "akten/satzung.pdf",
        "hinweise.md",
    ]


def test_a_document_that_cannot_be_read_again_keeps_the_collection_refused(
    old: tuple[Path, Path],
) -> None:
    root, docs = old
    collection = open_collection(root, "satzung")
    collection.document_file("akten/satzung.pdf").write_bytes(b"%PDF-1.4 kaputt")
    report = ingest(root, "satzung", [docs])
    assert report.reread == ["akten/hundesteuer.odt"] and report.unchanged == []
    [(source, why)] = report.skipped.items()
    assert source == str((docs / "satzung.pdf").resolve()) and "beschädigt" in why
    with pytest.raises(InputError, match=r"„akten/satzung\.pdf“ wurden von einer anderen"):
        search(open_collection(root, "satzung"), "Hundesteuer", mode="bm25")


def test_the_cli_says_which_documents_it_read_again_and_refuses_to_query_before(
    old: tuple[Path, Path],
) -> None:
    root, docs = old
    refused = invoke("rag", "query", "satzung", "Hundesteuer", "--root", root)
    said = " ".join(refused.output.split())
    assert refused.exit_code == 2 and "muss neu aufgenommen werden" in said, said
    ingested = invoke("rag", "ingest", "satzung", docs, "--root", root)
    said = " ".join(ingested.output.split())
    assert ingested.exit_code == 0, said
    assert "0 neu, 0 geändert, 0 unverändert" in said
    assert "2 unveränderte Dokumente neu gelesen: sie waren von einer anderen" in said
    shown = invoke("rag", "query", "satzung", "Hundesteuer ersten Hund", "--root", root)
    assert "akten/satzung.pdf, S. 1" in shown.output, shown.output
