"""Collections on disk: incremental ingest, removals, links, damaged files, groups, and an
ingest that fails leaving the old index as it was."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import COLLECTION_FILE, ingest, list_collections, open_collection
from gemeingut.apps.rag.retrieve import search
from gemeingut.errors import InputError
from tests.apps.rag.documents import write_docx, write_markdown, write_pdf


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "akten"
    (folder / "unter").mkdir(parents=True)
    write_pdf(folder / "leitfaden.pdf")
    write_docx(folder / "unter" / "vermerk.docx")
    write_markdown(folder / "hinweise.md")
    (folder / ".versteckt.md").write_text("geheim", encoding="utf-8")
    (folder / "bild.png").write_bytes(b"\x89PNG")
    return folder


def test_ingest_reads_every_format_and_search_finds_the_page(docs: Path, tmp_path: Path) -> None:
    report = ingest(tmp_path / "c", "vergabe", [docs], groups=["einkauf"])
    assert sorted(report.added) == [
        "akten/hinweise.md",
        "akten/leitfaden.pdf",
        "akten/unter/vermerk.docx",
    ]
    collection = open_collection(tmp_path / "c", "vergabe")
    best = collection.chunks[search(collection, "Eingang der Angebote Frist", k=1)[0].row]
    assert best.document in {"akten/leitfaden.pdf", "akten/hinweise.md", "akten/unter/vermerk.docx"}
    pdf_hit = [
        collection.chunks[h.row]
        for h in search(collection, "Frist Eingang Angebote", k=5)
        if collection.chunks[h.row].document == "akten/leitfaden.pdf"
    ]
    assert pdf_hit[0].page == 2
    stored = collection.document_file("akten/leitfaden.pdf")
    assert stored.read_bytes() == (docs / "leitfaden.pdf").read_bytes()  # for the viewer


def test_a_second_ingest_reads_only_what_changed_and_drops_what_vanished(
    docs: Path, tmp_path: Path, model_dir: Path
) -> None:
    root, spec = tmp_path / "c", EmbedderSpec(str(model_dir))
    ingest(root, "v", [docs], embed=spec)
    first = open_collection(root, "v")
    old_vectors = {c.id: np.array(first.vectors[i]) for i, c in enumerate(first.chunks)}
    (docs / "hinweise.md").write_text("# Neu\n\nGanz neuer Text zur Vergabe.\n", encoding="utf-8")
    (docs / "unter" / "vermerk.docx").unlink()
    report = ingest(root, "v", [docs])  # the recorded embedder is used again
    assert report.updated == ["akten/hinweise.md"]
    assert report.removed == ["akten/unter/vermerk.docx"]
    assert report.unchanged == ["akten/leitfaden.pdf"]
    again = open_collection(root, "v")
    assert {c.document for c in again.chunks} == {"akten/hinweise.md", "akten/leitfaden.pdf"}
    assert again.vectors.shape == (again.size, first.vectors.shape[1])
    for i, chunk in enumerate(again.chunks):  # vectors stay with their chunks
        if chunk.id in old_vectors:
            assert np.allclose(again.vectors[i], old_vectors[chunk.id])
    assert len(list((root / "v").glob("index-*"))) == 1  # the old index is gone
    assert len(list((root / "v" / "files").iterdir())) == 2


def test_links_are_not_followed_and_a_damaged_file_keeps_its_last_good_version(
    docs: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "fremd.md"
    outside.write_text("# Fremd\n\nAkten einer anderen Gruppe.\n", encoding="utf-8")
    os.symlink(outside, docs / "link.md")
    root = tmp_path / "c"
    report = ingest(root, "v", [docs])
    assert str(docs / "link.md") in report.skipped
    assert not any("Fremd" in c.text for c in open_collection(root, "v").chunks)
    (docs / "leitfaden.pdf").write_bytes(b"%PDF-1.4 kaputt")
    report = ingest(root, "v", [docs])
    assert "beschädigt oder keine PDF-Datei" in report.skipped[str(docs / "leitfaden.pdf")]
    kept = open_collection(root, "v")
    assert any(c.document == "akten/leitfaden.pdf" for c in kept.chunks)


def test_a_failed_ingest_leaves_the_collection_as_it_was(docs: Path, tmp_path: Path) -> None:
    root = tmp_path / "c"
    ingest(root, "v", [docs])
    before = (root / "v" / COLLECTION_FILE).read_text()
    dead = EmbedderSpec("http://127.0.0.1:9/v1", model="nichts")
    with pytest.raises(InputError, match="antwortet kein Server"):
        ingest(root, "v", [docs], embed=dead)
    assert (root / "v" / COLLECTION_FILE).read_text() == before
    assert open_collection(root, "v").size > 0


def test_vectors_of_another_embedder_are_refused(
    docs: Path, tmp_path: Path, model_dir: Path
) -> None:
    root = tmp_path / "c"
    ingest(root, "v", [docs], embed=EmbedderSpec(str(model_dir)))
    other = tmp_path / "anderes-modell"
    shutil.copytree(model_dir, other)
    with pytest.raises(InputError, match="enthält Vektoren von"):
        ingest(root, "v", [docs], embed=EmbedderSpec(str(other)))


def test_a_collection_is_visible_only_to_its_groups(docs: Path, tmp_path: Path) -> None:
    root = tmp_path / "c"
    ingest(root, "einkauf", [docs], groups=["vergabestelle"])
    ingest(root, "personal", [docs / "hinweise.md"], groups=["personalamt", "leitung"])
    collections = [open_collection(root, n) for n in list_collections(root)]
    assert [c.name for c in collections if c.visible_to({"vergabestelle"})] == ["einkauf"]
    assert [c.name for c in collections if c.visible_to({"leitung"})] == ["personal"]
    assert [c.name for c in collections if c.visible_to(set())] == []


def test_bad_names_languages_and_paths_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="ist kein Sammlungsname"):
        ingest(tmp_path, "../weg", [tmp_path])
    with pytest.raises(InputError, match="nicht gefunden"):
        ingest(tmp_path, "v", [tmp_path / "fehlt"])
    with pytest.raises(InputError, match="--language „fr“ ist unbekannt"):
        ingest(tmp_path, "v", [tmp_path], language="fr")
    with pytest.raises(InputError, match="keine Sammlung „fehlt“"):
        open_collection(tmp_path, "fehlt")
    meta = tmp_path / "kaputt" / COLLECTION_FILE
    meta.parent.mkdir()
    meta.write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="kann nicht gelesen werden"):
        open_collection(tmp_path, "kaputt")


def test_two_files_with_one_key_refuse_the_ingest_before_anything_is_written(
    tmp_path: Path,
) -> None:
    for year, text in (("2023", "Die Hundesteuer beträgt 100 Euro."), ("2024", "Neu.")):
        (tmp_path / year / "akten").mkdir(parents=True)
        (tmp_path / year / "akten" / "info.txt").write_text(text, encoding="utf-8")
    first, second = tmp_path / "2023" / "akten", tmp_path / "2024" / "akten"
    root = tmp_path / "c"
    for paths in ([first / "info.txt", second / "info.txt"], [first, second]):
        with pytest.raises(InputError, match="hießen in der Sammlung beide") as clash:
            ingest(root, "v", paths)
        assert str(paths[0]) in str(clash.value) and str(paths[1]) in str(clash.value)
        assert "eine Ebene höher" in str(clash.value.hint)
        assert not root.exists()
    report = ingest(root, "v", [tmp_path / "2023", tmp_path / "2024"])  # a level higher
    assert report.added == ["2023/akten/info.txt", "2024/akten/info.txt"]
    # the same file twice (in "w": "v" holds it as 2023/akten/info.txt, and skips it)
    again = ingest(root, "w", [first / "info.txt", first / "info.txt"])
    assert again.added == ["info.txt"]
    # in a later ingest too, another file of that key does not replace it without a word
    with pytest.raises(InputError, match=r"würde .* ersetzen") as later:
        ingest(root, "w", [second / "info.txt"])
    assert str(first / "info.txt") in str(later.value)
    moved = tmp_path / "neu" / "info.txt"  # a file that moved keeps its document
    moved.parent.mkdir()
    (first / "info.txt").rename(moved)
    assert ingest(root, "w", [moved]).unchanged == ["info.txt"]
    with pytest.raises(InputError, match=r"würde .* ersetzen") as later:
        ingest(root, "w", [second / "info.txt"])
    assert str(moved) in str(later.value)  # the document's source is where the file is now


def test_a_document_without_text_is_skipped_with_its_reason(tmp_path: Path) -> None:
    import docx

    folder = tmp_path / "akten"
    folder.mkdir()
    (folder / "leer.txt").write_text(" \n", encoding="utf-8")
    empty_lines = docx.Document()  # paragraphs and a heading with nothing in them
    empty_lines.add_heading("", level=1)
    empty_lines.add_paragraph(" ")
    empty_lines.save(str(folder / "leer.docx"))
    only_heading = docx.Document()  # a heading's words are text: searched (and found)
    only_heading.add_heading("Nur eine Überschrift", level=1)
    only_heading.save(str(folder / "titel.docx"))
    write_markdown(folder / "hinweise.md")
    report = ingest(tmp_path / "c", "v", [folder])
    assert report.added == ["akten/hinweise.md", "akten/titel.docx"]
    assert report.skipped == {
        str(folder / "leer.docx"): "enthält keinen durchsuchbaren Text",
        str(folder / "leer.txt"): "enthält keinen durchsuchbaren Text",
    }
    documents = open_collection(tmp_path / "c", "v").meta["documents"]
    assert list(documents) == ["akten/hinweise.md", "akten/titel.docx"]


def test_a_skipped_file_is_named_once_with_its_reason(tmp_path: Path) -> None:
    broken = tmp_path / "kaputt.pdf"
    broken.write_bytes(b"%PDF-1.4 kaputt")
    write_markdown(tmp_path / "hinweise.md")
    report = ingest(tmp_path / "c", "v", [broken, tmp_path / "hinweise.md"])
    assert report.skipped[str(broken)].startswith("die Datei ist beschädigt oder keine PDF-Datei")


def test_a_heading_is_searched_but_the_chunk_text_stays_the_passage(tmp_path: Path) -> None:
    from gemeingut.apps.rag.cite import check_citations

    notes = tmp_path / "notiz.md"
    notes.write_text(
        "# Notiz\n\n## Parkausweis\n\nAnwohner bekommen ihn beim Straßenverkehrsamt.\n\n"
        "## Hundesteuer\n\nSie beträgt 120 Euro im Jahr.\n",
        encoding="utf-8",
    )
    ingest(tmp_path / "c", "v", [notes])
    collection = open_collection(tmp_path / "c", "v")
    [hit] = search(collection, "Parkausweis", k=5, mode="bm25")
    found = collection.chunks[hit.row]
    assert found.section == "Notiz › Parkausweis"  # the heading path
    assert found.text == "Anwohner bekommen ihn beim Straßenverkehrsamt."  # shown as it stands
    answer = "„Anwohner bekommen ihn beim Straßenverkehrsamt.“ [1]"
    assert check_citations(answer, [found]).supported
