"""Ranking: BM25 with German stemming, dense vectors from a model folder, and their fusion."""

from pathlib import Path

import pytest

from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import ingest, open_collection
from gemeingut.apps.rag.retrieve import RRF_K, fuse, search, tokenize
from gemeingut.errors import InputError
from tests.apps.rag.documents import write_texts


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    texts = {
        "kriterien.txt": "Die Zuschlagskriterien werden mit ihrer Gewichtung bekannt gemacht.",
        "frist.txt": "Angebote müssen innerhalb der Frist eingehen.",
        "werke.txt": "Amtliche Werke sind gemeinfrei.",
    }
    return write_texts(tmp_path / "notizen", texts)


def test_bm25_finds_another_form_of_a_german_word(notes: Path, tmp_path: Path) -> None:
    ingest(tmp_path / "c", "n", [notes])
    collection = open_collection(tmp_path / "c", "n")
    hits = search(collection, "Bis wann muss ein Angebot eingegangen sein?", k=3, mode="hybrid")
    assert [collection.chunks[h.row].document for h in hits] == ["notizen/frist.txt"]
    assert search(collection, "der die das", k=3) == []  # stop words only: no evidence
    with pytest.raises(InputError, match="keine dichten Vektoren"):
        search(collection, "Frist", mode="dense")


def test_dense_and_hybrid_rank_every_chunk_with_a_model_folder(
    notes: Path, tmp_path: Path, model_dir: Path
) -> None:
    ingest(tmp_path / "c", "n", [notes], embed=EmbedderSpec(str(model_dir)))
    collection = open_collection(tmp_path / "c", "n")
    dense = search(collection, "Frist für Angebote", k=3, mode="dense")
    assert len(dense) == 3 and [h.dense_rank for h in dense] == [1, 2, 3]
    assert dense[0].score >= dense[1].score >= dense[2].score
    hybrid = search(collection, "Frist für Angebote", k=3, mode="hybrid")
    assert collection.chunks[hybrid[0].row].document == "notizen/frist.txt"  # in both lists
    assert hybrid[0].bm25_rank == 1 and hybrid[0].dense_rank is not None


def test_reciprocal_rank_fusion_adds_the_inverse_ranks() -> None:
    fused = fuse([(7, 9.0), (3, 5.0)], [(3, 0.9), (8, 0.8)], k=3)
    assert [h.row for h in fused] == [3, 7, 8]
    assert fused[0].score == pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 1))
    assert (fused[1].bm25_rank, fused[1].dense_rank) == (1, None)


def test_a_word_with_a_soft_hyphen_is_found_by_the_plain_word(tmp_path: Path) -> None:
    page = tmp_path / "seiten" / "schule.html"
    page.parent.mkdir()
    page.write_text(
        "<html><body><p>Auf dem Schul&shy;gelände gilt Rauch&#8203;verbot.</p>"
        "<p>Die Mensa öffnet um zwölf.</p></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "seiten" / "amt.txt").write_text("Das Amt ist montags zu.", encoding="utf-8")
    ingest(tmp_path / "c", "s", [page.parent])
    collection = open_collection(tmp_path / "c", "s")
    [hit] = search(collection, "Schulgelände", k=3, mode="bm25")
    assert "Schulgelände" in collection.chunks[hit.row].text
    assert search(collection, "Rauch\u200bverbot", k=3, mode="bm25")  # pasted from a page


def test_the_tokenizer_does_not_split_a_word_at_an_invisible_character() -> None:
    assert tokenize(["Schul\u00adgelände Rauch\u200bverbot"], "de") == tokenize(
        ["Schulgelände Rauchverbot"], "de"
    )
