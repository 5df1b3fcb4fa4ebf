"""A question pasted from a PDF keeps its ligatures ("Stellplatzp\ufb02icht", U+FB02): BM25, the
embedder and fusion read it as the letters the read chunks have, and find the § they find for
the question typed."""

from pathlib import Path

import pytest

from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import ingest, open_collection
from gemeingut.apps.rag.retrieve import search, tokenize
from tests.apps.rag.documents import write_texts

TYPED = "Wann gilt die Stellplatzpflicht?"
PASTED = "Wann gilt die Stellplatzp\ufb02icht?"
SECTIONS = {
    "p1.txt": "§ 1 Geltungsbereich. Diese Satzung gilt für das Gebiet der Stadt.",
    "p2.txt": "§ 2 Die Stellplatzpflicht gilt für jedes neue Wohngebäude.",
    "p3.txt": "§ 3 Ablösung. Die Ablösung kostet je Platz 8.000 Euro.",
}


@pytest.fixture
def satzung(tmp_path: Path) -> Path:
    return write_texts(tmp_path / "satzung", SECTIONS)


def _documents(collection, question: str, mode: str) -> list[tuple[str, float]]:
    hits = search(collection, question, k=3, mode=mode)
    return [(collection.chunks[h.row].document, round(h.score, 6)) for h in hits]


def test_a_pasted_ligature_is_the_word_for_bm25(satzung: Path, tmp_path: Path) -> None:
    ingest(tmp_path / "c", "s", [satzung])
    collection = open_collection(tmp_path / "c", "s")
    typed = _documents(collection, TYPED, "bm25")
    assert [d for d, _ in typed][:1] == ["satzung/p2.txt"]
    assert _documents(collection, PASTED, "bm25") == typed
    words = tokenize(["Stellplatzp\ufb02icht \ufb01nanziert o\ufb00en"], "de")
    assert words == tokenize(["Stellplatzpflicht finanziert offen"], "de")


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_a_pasted_ligature_is_the_word_for_the_embedder(
    satzung: Path, tmp_path: Path, model_dir: Path, mode: str
) -> None:
    ingest(tmp_path / "c", "s", [satzung], embed=EmbedderSpec(str(model_dir)))
    collection = open_collection(tmp_path / "c", "s")
    typed = _documents(collection, TYPED, mode)
    assert _documents(collection, PASTED, mode) == typed
