"""Retrieval quality on a question set: recall@k and MRR for BM25, dense and hybrid.

A question file is JSONL, one object per line: `question`, `document` (the key of the
document that answers it, or the end of that key) and optionally `section` or `page`; a
retrieved chunk answers when it belongs to that document (and section, and page). A section is
named by its heading ("§ 2 Steuersatz") or by the end of its heading path ("Satzung über die
Hundesteuer › § 2 Steuersatz"); a page by its printed number.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gemeingut.apps.rag.collection import Collection
from gemeingut.apps.rag.readers import PATH_SEPARATOR
from gemeingut.apps.rag.rerank import Reranker
from gemeingut.apps.rag.retrieve import Mode, effective_mode, search
from gemeingut.apps.rag.storage import StoredChunk
from gemeingut.errors import InputError
from gemeingut.i18n import _, text
from gemeingut.json_records import json_problem, record_lines

MRR_DEPTH = 10


@dataclass(frozen=True)
class Question:
    question: str
    document: str
    section: str | None = None
    page: int | None = None
    line: int = field(default=0, compare=False)  # in the question file, for messages
    file: str = field(default="", compare=False)  # the question file, for messages

    def names(self, key: str) -> bool:
        """Whether `key`, a document's key in the collection, is the document asked for."""
        return key == self.document or key.endswith("/" + self.document)

    def answered_by(self, chunk: StoredChunk) -> bool:
        return (
            self.names(chunk.document)
            and (self.section is None or self.names_section(chunk.section))
            and (self.page is None or chunk.page == self.page)
        )

    def names_section(self, section: str | None) -> bool:
        """Whether `section`, a chunk's heading path, is the section asked for: the whole path
        or its last headings."""
        return section is not None and (
            section == self.section or section.endswith(PATH_SEPARATOR + str(self.section))
        )


@dataclass(frozen=True)
class Scores:
    mode: str
    questions: int
    recall: float  # share of questions with an answering chunk in the top k
    mrr: float  # mean of 1 / rank of the first answering chunk in the top MRR_DEPTH
    p50_ms: float
    p99_ms: float


def read_questions(path: Path, data: bytes | None = None) -> list[Question]:
    """The questions of a JSONL file (`data`: its bytes where they came another way, piped in
    for `-`); a missing file raises `OSError` (the caller names it in the reader's language),
    anything else wrong an `InputError` naming the line."""
    if data is None:
        data = path.read_bytes()
    else:  # piped in: its problems name it as the reader knows it, not „-“
        path = Path(text(_("standard input")))
    try:
        lines = record_lines(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        line, byte = data[: exc.start].count(b"\n") + 1, f"0x{data[exc.start]:02x}"
        raise InputError(
            _(
                "{path} is not UTF-8 (line {line}: byte {byte})",
                path=str(path),
                line=str(line),
                byte=byte,
            ),
            _("save it as UTF-8"),
        ) from None
    questions = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            questions.append(_question(_record(line, path, number), path, number))
    if not questions:
        raise InputError(_("{path} holds no questions", path=str(path)))
    return questions


_EXAMPLE = '{"question": "…", "document": "…", "section": "…"}'


def _record(line: str, path: Path, number: int) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        problem = json_problem(exc)
        raise InputError(
            _(
                "{path}, line {number}, column {column}: not valid JSON: {problem}",
                path=str(path),
                number=str(number),
                column=str(exc.colno),
                problem=problem,
            ),
            _("each line: {example}", example=_EXAMPLE),
        ) from None
    if not isinstance(record, dict):
        raise InputError(
            _("{path}, line {number}: not a JSON object", path=str(path), number=str(number)),
            _("each line: {example}", example=_EXAMPLE),
        )
    return record


def _question(record: dict[str, Any], path: Path, number: int) -> Question:
    for key in ("question", "document"):
        if record.get(key) is None:
            raise InputError(
                _(
                    "{path}, line {number}: the field {field} is missing",
                    path=str(path),
                    number=str(number),
                    field=key,
                ),
                _("each line: {example}", example=_EXAMPLE),
            )
    question = _typed(record, "question", str, path, number)
    if not question.strip():
        raise InputError(
            _("{path}, line {number}: the question is empty", path=str(path), number=str(number)),
            _("each line: {example}", example=_EXAMPLE),
        )
    return Question(
        question,
        _typed(record, "document", str, path, number),
        _typed(record, "section", str, path, number),
        _typed(record, "page", int, path, number),
        number,
        str(path),
    )


def _typed(record: dict, key: str, kind: type, path: Path, number: int) -> Any:
    """A field of a question, of its kind: a page given as "2" would match no chunk, and the
    question would count as missed without a word."""
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


def _refuse_unknown_documents(collection: Collection, questions: list[Question]) -> None:
    missing = unknown_documents(collection, questions)
    if missing:
        raise InputError(
            _(
                "{path}, line {line}: the collection '{name}' holds no document '{document}' "
                "(questions that name a document it does not hold: {count})",
                path=missing[0].file,
                line=str(missing[0].line),
                name=collection.name,
                document=missing[0].document,
                count=str(len(missing)),
            ),
            _("name each document by its key, as `gemeingut rag query` shows it"),
        )


def _refuse_pages_not_held(collection: Collection, questions: list[Question]) -> None:
    """A page no chunk of the document is on (an ODT has no pages at all) would count the
    question as missed, whatever was found: recall 0 that says nothing about retrieval."""
    pages: dict[str, set[int]] = {}
    for chunk in collection.chunks:
        held = pages.setdefault(chunk.document, set())
        if isinstance(chunk.page, int):  # a question names a page by number, not "iv"
            held.add(chunk.page)
    for question in questions:
        if question.page is None:
            continue
        held = set().union(*(p for key, p in pages.items() if question.names(key)))
        if question.page in held:
            continue
        where = {
            "path": question.file,
            "line": str(question.line),
            "document": question.document,
            "page": str(question.page),
        }
        if not held:
            raise InputError(
                _(
                    "{path}, line {line}: {document} has no pages, so page {page} cannot be found",
                    **where,
                ),
                _('leave out "page" for a document without pages (a "section" can be named)'),
            )
        raise InputError(
            _(
                "{path}, line {line}: {document} has no text on page {page} (its text is on "
                "pages {first} to {last})",
                **where,
                first=str(min(held)),
                last=str(max(held)),
            ),
            _("name a page the document has"),
        )


def evaluate(
    collection: Collection,
    questions: list[Question],
    mode: Mode,
    k: int = 5,
    reranker: Reranker | None = None,
) -> Scores:
    _refuse_unknown_documents(collection, questions)
    _refuse_pages_not_held(collection, questions)
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
