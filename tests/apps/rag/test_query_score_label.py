"""`gemeingut rag query` says which score each hit shows, by what made it: a hybrid search of a
collection without vectors is BM25's (any size: "6,099"), with vectors the fused reciprocal
ranks (about 0.03), dense the cosine, reranked the cross-encoder's. Before, the list showed a
bare "(6,099)" that a person could not tell from a similarity. German by default, English with
--language en; the number is the one the search computed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import ingest, open_collection
from gemeingut.apps.rag.retrieve import search
from gemeingut.i18n import decimal
from tests.apps.rag.documents import write_markdown
from tests.apps.rag.test_rerank import cross_encoder as cross_encoder  # a fixture
from tests.test_cli import invoke

QUESTION = "Frist Eingang Angebote"


def first_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("[1]"))


def query(root: Path, *more: str | Path):
    result = invoke("rag", "query", "vergabe", QUESTION, "--root", root, "-k", "1", *more)
    assert result.exit_code == 0, result.output
    return first_line(result.stdout)  # the hits: stdout, the progress: stderr


@pytest.fixture
def words_only(tmp_path: Path) -> Path:
    write_markdown(tmp_path / "hinweise.md")
    ingest(tmp_path / "c", "vergabe", [tmp_path / "hinweise.md"])
    return tmp_path / "c"


@pytest.fixture
def with_vectors(tmp_path: Path, model_dir: Path) -> Path:
    write_markdown(tmp_path / "hinweise.md")
    ingest(
        tmp_path / "c", "vergabe", [tmp_path / "hinweise.md"], embed=EmbedderSpec(str(model_dir))
    )
    return tmp_path / "c"


def best_score(root: Path, mode: str, **more) -> float:
    return search(open_collection(root, "vergabe"), QUESTION, k=1, mode=mode, **more)[0].score


def test_a_hybrid_query_of_a_collection_without_vectors_says_its_score_is_bm25s(
    words_only: Path,
) -> None:
    score = best_score(words_only, "bm25")
    assert query(words_only).endswith(f"(BM25-Wert {decimal(score, 3, 'de', grouped=False)})")
    english = query(words_only, "--language", "en")
    assert english.endswith(f"(BM25 score {decimal(score, 3, 'en', grouped=False)})")
    assert not re.search(r"\(\d+[.,]\d{3}\)", english)  # never a bare number


def test_hybrid_dense_and_reranked_scores_each_say_what_they_are(
    with_vectors: Path, cross_encoder: Path
) -> None:
    from gemeingut.apps.rag.rerank import Reranker

    fused = decimal(best_score(with_vectors, "hybrid"), 3, "de", grouped=False)
    assert query(with_vectors).endswith(f"(fusionierter Rangwert (RRF) {fused})")
    cosine = decimal(best_score(with_vectors, "dense"), 3, "en", grouped=False)
    dense = query(with_vectors, "--mode", "dense", "--language", "en")
    assert dense.endswith(f"(cosine similarity {cosine})")
    reranked = best_score(with_vectors, "hybrid", reranker=Reranker(cross_encoder))
    shown = query(with_vectors, "--rerank", cross_encoder)
    assert shown.endswith(f"(Reranker-Wert {decimal(reranked, 3, 'de', grouped=False)})")
