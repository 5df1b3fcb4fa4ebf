"""Retrieval quality on a question set: recall@k and MRR for BM25, dense and hybrid.

A question file is JSONL, one object per line: `question`, `document` (the key of the
document that answers it, or the end of that key) and optionally `section` or `page`; a
retrieved chunk answers when it belongs to that document (and section, and page).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gemeingut.apps.rag.index import Collection, StoredChunk
from gemeingut.apps.rag.rerank import Reranker
from gemeingut.apps.rag.retrieve import Mode, effective_mode, search
from gemeingut.errors import InputError
from gemeingut.i18n import _

MRR_DEPTH = 10


@dataclass(frozen=True)
class Question:
    question: str
    document: str
    section: str | None = None
    page: int | None = None
    line: int = field(default=0, compare=False)  # in the question file, for messages

    def names(self, key: str) -> bool:
        """Whether `key`, a document's key in the collection, is the document asked for."""
        return key == self.document or key.endswith("/" + self.document)

    def answered_by(self, chunk: StoredChunk) -> bool:
        return (
            self.names(chunk.document)
            and (self.section is None or chunk.section == self.section)
            and (self.page is None or chunk.page == self.page)
        )


@dataclass(frozen=True)
class Scores:
    mode: str
    questions: int
    recall: float  # share of questions with an answering chunk in the top k
    mrr: float  # mean of 1 / rank of the first answering chunk in the top MRR_DEPTH
    p50_ms: float
    p99_ms: float


def read_questions(path: Path) -> list[Question]:
    questions = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            _("{path} cannot be read: {problem}", path=str(path), problem=str(exc))
        ) from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            questions.append(
                Question(
                    str(record["question"]),
                    str(record["document"]),
                    _typed(record, "section", str, path, number),
                    _typed(record, "page", int, path, number),
                    number,
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                _(
                    "{path}, line {number}: not a question ({problem})",
                    path=str(path),
                    number=str(number),
                    problem=f"{type(exc).__name__}: {exc}",
                ),
                _(
                    "each line: {example}",
                    example='{"question": "…", "document": "…", "section": "…"}',
                ),
            ) from exc
    if not questions:
        raise InputError(_("{path} holds no questions", path=str(path)))
    return questions


def _typed(record: dict, key: str, kind: type, path: Path, number: int) -> Any:
    """An optional field of a question, of its kind: a page given as "2" would match no chunk,
    and the question would count as missed without a word."""
    value = record.get(key)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        where = {"path": str(path), "number": str(number), "field": key, "value": repr(value)}
        raise InputError(
            _("{path}, line {number}: {field} must be a number, not {value}", **where)
            if kind is int
            else _("{path}, line {number}: {field} must be text, not {value}", **where),
            _("e.g. {example}", example='{"page": 3, "section": "Fristen"}'),
        )
    return value


def unknown_documents(collection: Collection, questions: list[Question]) -> list[Question]:
    """The questions whose document the collection does not hold: each would count as missed
    (a typo in a key), so the scores would mean nothing."""
    held = {chunk.document for chunk in collection.chunks}
    return [q for q in questions if not any(q.names(key) for key in held)]


def evaluate(
    collection: Collection,
    questions: list[Question],
    mode: Mode,
    k: int = 5,
    reranker: Reranker | None = None,
) -> Scores:
    missing = unknown_documents(collection, questions)
    if missing:
        raise InputError(
            _(
                "line {line}: the collection {name!r} holds no document {document!r} "
                "(questions that name a document it does not hold: {count})",
                line=str(missing[0].line),
                name=collection.name,
                document=missing[0].document,
                count=str(len(missing)),
            ),
            _("name each document by its key, as `gemeingut rag query` shows it"),
        )
    mode = effective_mode(collection, mode)  # what `search` runs; the scores are named for it
    if mode != "bm25" and collection.vectors is not None:
        collection.embedder().embed(["warm-up"])  # loading the model is not query latency
    found, reciprocal, times = 0, 0.0, []
    for question in questions:
        start = time.perf_counter()
        hits = search(
            collection, question.question, k=max(k, MRR_DEPTH), mode=mode, reranker=reranker
        )
        times.append((time.perf_counter() - start) * 1000)
        ranks = [
            rank
            for rank, hit in enumerate(hits, 1)
            if question.answered_by(collection.chunks[hit.row])
        ]
        if ranks and ranks[0] <= k:
            found += 1
        if ranks:
            reciprocal += 1 / ranks[0]
    p50, p99 = np.percentile(times, [50, 99])
    n = len(questions)
    label = f"{mode}+{reranker.name}" if reranker is not None else mode
    return Scores(label, n, found / n, reciprocal / n, float(p50), float(p99))
