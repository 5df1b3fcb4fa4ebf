"""Ranking chunks for a question: BM25, dense similarity, or both fused.

BM25 (bm25s, Lucene's variant) on words lower-cased, stop words removed and stemmed with
Snowball for the collection's language, so "Zuschlagskriterien" finds "Zuschlagskriterium";
in German also on the parts of compound words, so the "Angebotsfrist" finds the "Frist für
Angebote" and back (`lexical.py`, `german_terms.py`).
Dense: cosine of unit vectors. Hybrid: reciprocal rank fusion (Cormack et al. 2009,
score = sum of 1 / (60 + rank) over both lists' top `candidates`), which needs no score
calibration between the two. Optionally a cross-encoder orders the best of them again
(`rerank.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np

from gemeingut.apps.rag.embedders import embedder_failures, other_width
from gemeingut.apps.rag.lexical import tokenize as tokenize  # the CLI's and tests' name
from gemeingut.apps.rag.prompted import question_text
from gemeingut.apps.rag.readers import without_ligatures
from gemeingut.errors import InputError
from gemeingut.i18n import _

if TYPE_CHECKING:
    from gemeingut.apps.rag.collection import Collection
    from gemeingut.apps.rag.rerank import Reranker

Mode = Literal["hybrid", "bm25", "dense"]
MODES: tuple[Mode, ...] = ("hybrid", "bm25", "dense")
# What a hit's score is, by what made it: BM25's sum, the cosine of the vectors, the fused
# reciprocal ranks, the cross-encoder's logit. Scores of different kinds do not compare.
ScoredBy = Literal["bm25", "dense", "rrf", "reranker"]
RRF_K = 60
CANDIDATES = 100


@dataclass(frozen=True)
class Hit:
    row: int  # the chunk's row in the collection
    score: float
    bm25_rank: int | None  # 1-based place in each list, None where it was not in the list
    dense_rank: int | None
    scored_by: ScoredBy  # what `score` is


def effective_mode(collection: Collection, mode: Mode) -> Mode:
    """The mode a search runs in: a collection without vectors is searched by BM25 alone (a
    hybrid search of it is one); dense alone is refused."""
    if collection.vectors is not None:
        return mode
    if mode == "dense":
        raise InputError(
            _("collection '{name}' has no dense vectors", name=collection.name),
            _("ingest it with --embed MODEL, or search with --mode bm25"),
        )
    return "bm25"


def search(
    collection: Collection,
    question: str,
    k: int = 5,
    mode: Mode = "hybrid",
    candidates: int = CANDIDATES,
    reranker: Reranker | None = None,
) -> list[Hit]:
    """The `k` best chunks; with a `reranker`, the first stage's best `RERANK_DEPTH` (at
    least `k`) ordered again by the cross-encoder, whose score each hit then carries. A
    collection read by another reader format is refused: its pages would be cited wrongly.
    A ligature in the question (pasted from a PDF) is its letters, as in the read chunks, for
    the embedder and the cross-encoder as for BM25."""
    collection.refuse_if_outdated()
    question = without_ligatures(question)
    if reranker is not None:
        from gemeingut.apps.rag.rerank import RERANK_DEPTH

        first = search(collection, question, max(k, RERANK_DEPTH), mode, candidates)
        scores = reranker.scores(question, [collection.chunks[h.row].text for h in first])
        again = [
            replace(hit, score=score, scored_by="reranker")
            for hit, score in zip(first, scores, strict=True)
        ]
        again.sort(key=lambda h: (-h.score, h.row))
        return again[:k]
    mode = effective_mode(collection, mode)
    depth = max(k, candidates) if mode == "hybrid" else k
    lexical = _bm25(collection, question, depth) if mode != "dense" else []
    dense = _dense(collection, question, depth) if mode != "bm25" else []
    if mode == "bm25":
        return [Hit(row, s, rank, None, "bm25") for rank, (row, s) in enumerate(lexical, 1)]
    if mode == "dense":
        return [Hit(row, s, None, rank, "dense") for rank, (row, s) in enumerate(dense, 1)]
    return fuse(lexical, dense, k)


def fuse(lexical: list[tuple[int, float]], dense: list[tuple[int, float]], k: int) -> list[Hit]:
    """Reciprocal rank fusion of two ranked lists of (row, score)."""
    places: dict[int, list[int | None]] = {}
    for which, ranked in enumerate((lexical, dense)):
        for rank, (row, _score) in enumerate(ranked, 1):
            places.setdefault(row, [None, None])[which] = rank
    fused = [
        Hit(row, sum(1 / (RRF_K + r) for r in ranks if r is not None), ranks[0], ranks[1], "rrf")
        for row, ranks in places.items()
    ]
    fused.sort(key=lambda h: (-h.score, h.row))
    return fused[:k]


def _bm25(collection: Collection, question: str, depth: int) -> list[tuple[int, float]]:
    if collection.bm25 is None:
        return []
    return collection.bm25.search(question, depth)


def _dense(collection: Collection, question: str, depth: int) -> list[tuple[int, float]]:
    vectors = collection.vectors
    if vectors is None or collection.size == 0:
        return []
    with embedder_failures():
        embedder = collection.embedder()
        query = embedder.embed([question_text(collection.meta, question)])[0]
    if query.shape != vectors.shape[1:]:  # another model answers where the vectors' was
        raise other_width(embedder.name, query.size, collection.name, vectors.shape[1])
    scores = vectors @ query
    depth = min(depth, len(scores))
    top = np.argpartition(-scores, depth - 1)[:depth]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(r), float(scores[r])) for r in top]
