"""`/v1/trace`: where a phrase occurs verbatim in the served model's own training data, with each
document's id and licence — the audit stage's span tracing (`audit/span_trace.py`), on the
server, for the page's look inside the model.

The index is built when the server starts from the training documents it is given (`serve
--trace-data`: a dataset artifact, a release bundle's `training-data/`, Parquet or JSONL; of
a dataset, its training split: the validation split was not trained on), tokenized with the
served model's own tokenizer. The training data of an open model is public,
so the spans are shown to every key; the question is not kept (the audit record says only that
a trace was asked for). A span is whole words: the phrase is also traced with a space before its
first word, as that word stands inside a document, and a match is cut back to the words it holds
whole, never "m Repair-Café". Each place a span is listed at says its line in the document, so
that a learner sees three places in one document as three lines of it, not one name thrice.
Where no span is found the answer says why (`reason`, and `message` in words): a text shorter
than the shortest span traced cannot be found at all, which is not the
same as a text the training data does not hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from gemeingut.audit.span_trace import SEPARATOR, SpanIndex, trace_phrase
from gemeingut.errors import InputError
from gemeingut.i18n import _, plural, text
from gemeingut.serve.backends import Backend, Tokenizing
from gemeingut.serve.gateway.gate import CallerDep, record_access
from gemeingut.serve.http_errors import APIError, request_language
from gemeingut.serve.schemas import Count, ErrorResponse

trace_router = APIRouter()
META = ("id", "license", "source")  # what the page names of a training document
HELD_OUT = "validation-"  # a dataset's validation shards: evaluated on, never trained on
CHUNK = 1 << 22  # tokens counted for newlines at a time
AROUND = 12  # tokens on either side of an occurrence that its context shows: a few words


@dataclass(frozen=True)
class TraceIndex:
    index: SpanIndex
    backend: Tokenizing
    newlines: NewlineIndex = field(init=False, repr=False)

    def line(self, place: dict) -> int:
        """The line (from 1) of its document at which an occurrence begins: the newlines, as
        the tokenizer writes them, of the tokens before it in that very document (`number`,
        which `build_trace_index` gives each: ids may repeat across files)."""
        start = int(self.index.starts[place["number"]])
        return self.newlines.between(start, start + place["token_offset"]) + 1

    def context(self, place: dict, tokens: int) -> str:
        """A few words of the document around an occurrence of `tokens` tokens, on one line,
        so that a learner sees where the phrase stands; a word cut at either end is left out
        (published training data, as the spans are, and short)."""
        starts = self.index.starts
        begin = int(starts[place["number"]])
        number = place["number"] + 1
        end = int(starts[number]) - 1 if number < len(starts) else len(self.index.tokens) - 1
        at = begin + place["token_offset"]
        first, last = max(begin, at - AROUND), min(end, at + tokens + AROUND)
        said = self.backend.detokenize(self.index.tokens[first:last].tolist())
        if first > begin:
            said = re.sub(r"^\S*\s+", "", said, count=1)
        if last < end:
            said = re.sub(r"\s+\S*$", "", said, count=1)
        return " ".join(said.split())

    def __post_init__(self) -> None:  # counted once, as the server starts, not per place
        object.__setattr__(self, "newlines", NewlineIndex.of(self.index.tokens, self.backend))


@dataclass(frozen=True)
class NewlineIndex:
    """Where the indexed tokens hold newlines: a place's line is a count of those between its
    document's start and it, two binary searches, where decoding the tokens before it took
    time in proportion to how far into its document it stands. A newline is one byte (0x0A)
    that is never part of another character, so the newlines of tokens decoded together are
    the sum of those of each token's own bytes."""

    positions: np.ndarray  # the tokens (their place in `tokens`) that hold newlines, in order
    before: np.ndarray  # the newlines of the tokens at positions[:i], for each i (one more)

    @classmethod
    def of(cls, tokens: np.ndarray, backend: Tokenizing) -> NewlineIndex:
        parts = [tokens[at : at + CHUNK] for at in range(0, len(tokens), CHUNK)]
        seen = np.zeros(0, dtype=bool)  # which token ids occur
        for part in parts:  # chunk by chunk: a few MB at a time, not bytes for every token
            ids = part[part != SEPARATOR]
            if len(ids) and int(ids.max()) >= len(seen):
                seen = np.concatenate((seen, np.zeros(int(ids.max()) + 1 - len(seen), dtype=bool)))
            seen[ids] = True
        present = np.flatnonzero(seen)
        per_id = np.zeros(len(seen) + 1, dtype=np.uint32)  # the last: the separator's, none
        per_id[present] = [piece.count(b"\n") for piece in backend.token_bytes(present.tolist())]
        positions, counts = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.uint32)]
        for number, part in enumerate(parts):
            found = per_id[np.minimum(part, len(seen))]
            at = np.flatnonzero(found)
            positions.append(at + number * CHUNK)
            counts.append(found[at])
        before = np.cumsum(np.concatenate(counts), dtype=np.int64)
        return cls(np.concatenate(positions), np.concatenate(([0], before)))

    def between(self, start: int, end: int) -> int:
        """The newlines of the tokens at [start, end)."""
        first, last = np.searchsorted(self.positions, (start, end))
        return int(self.before[last] - self.before[first])


def build_trace_index(files: tuple[Path, ...], backend: Backend) -> TraceIndex:
    from gemeingut.audit.subject import iter_documents

    if not isinstance(backend, Tokenizing):
        raise InputError(
            _("--trace-data needs the model's tokenizer, which an upstream engine does not share"),
            _("serve the model in this process to trace its training data"),
        )

    def tokenize(text: str) -> list[int]:
        return backend.tokenize(text, add_special_tokens=False)

    index = SpanIndex.build(iter_documents(trained(files)), tokenize)
    numbered = [{**meta, "number": n} for n, meta in enumerate(index.documents)]  # for `line`
    return TraceIndex(replace(index, documents=numbered), backend)


def trained(files: tuple[Path, ...]) -> tuple[Path, ...]:
    """The files the model was trained on: a dataset's validation split (`validation-*.parquet`
    beside `train-*`) was held out, so a phrase found only there was never learnt, and the
    page's count of what the model learnt from is the training split's, as the release's AI Act
    summary counts it. Other files (JSONL, Parquet without a split's name) are the user's
    word that they are training data."""
    return tuple(f for f in files if not (f.name.startswith(HELD_OUT) and f.suffix == ".parquet"))


class TraceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000, description="The phrase to look for.")
    min_tokens: Count = Field(default=4, ge=1, le=64, description="Shortest span reported.")


class TracedDocument(BaseModel):
    """One place a span occurs at: a document may be listed once for each of its places."""

    id: str | None
    license: str | None
    source: str | None
    line: int | None = Field(
        default=None, description="The line of the document (from 1) at which the span begins."
    )
    context: str | None = Field(
        default=None,
        description="A few words of the document around the span, on one line: where it stands.",
    )


class TracedSpan(BaseModel):
    start: int = Field(
        description="The span's first token in the text as traced (with a space before it "
        "where its first word matched the training data only so)."
    )
    tokens: int
    text: str = Field(description="The span's text: whole words, never part of one.")
    occurrences: int = Field(description="How often it occurs in the training data.")
    documents: list[TracedDocument] = Field(description="Where (the first few).")


NoSpanReason = Literal["too_short", "not_found"]


class TraceResult(BaseModel):
    object: Literal["trace"] = "trace"
    tokens: int = Field(description="Tokens of the text as traced (see `start`).")
    min_tokens: int = Field(description="The shortest span looked for, in tokens.")
    spans: list[TracedSpan]
    reason: NoSpanReason | None = Field(
        default=None,
        description="Why no span was found: `too_short` (the text has fewer tokens than "
        "`min_tokens`, so no span of it can be looked for) or `not_found` (no part of it of "
        "`min_tokens` or more occurs verbatim in the training data); null where spans were found.",
    )
    message: str | None = Field(
        default=None, description="The reason in words, in the request's language."
    )


class TraceInfo(BaseModel):
    object: Literal["trace.index"] = "trace.index"
    documents: int = Field(description="Documents of the training split (no validation split).")
    tokens: int = Field(
        description="Their tokens as pretraining packs them: each document's own, without "
        "special tokens, then one EOS (the AI Act summary's count of the same shards)."
    )


def _index(request: Request) -> TraceIndex:
    found: TraceIndex | None = request.app.state.trace
    if found is None:
        raise APIError(
            404,
            _("this server traces no training data (serve --trace-data)"),
            code="no_trace_index",
        )
    return found


@trace_router.get("/v1/trace", response_model=TraceInfo, responses={404: {"model": ErrorResponse}})
def trace_info(request: Request, principal: CallerDep) -> TraceInfo:
    """How much training data this server can trace a phrase in."""
    found = _index(request)
    # the index holds each document's tokens and one separator after it, where EOS stood
    return TraceInfo(documents=len(found.index.documents), tokens=len(found.index.tokens))


@trace_router.post(
    "/v1/trace",
    response_model=TraceResult,
    responses={400: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)
async def trace_text(body: TraceRequest, request: Request, principal: CallerDep) -> TraceResult:
    """The longest spans of `text` that occur verbatim in the training data, and where."""
    found = _index(request)

    def tokenize(text: str) -> list[int]:
        return found.backend.tokenize(text, add_special_tokens=False)

    def placed(doc: dict, tokens: int) -> dict:
        # a JSONL corpus may give any JSON value as id, licence or source
        said = {key: None if doc.get(key) is None else str(doc[key]) for key in META}
        return {**said, "line": found.line(doc), "context": found.context(doc, tokens)}

    def traced() -> tuple[int, list[dict]]:  # in a thread: the search, each a binary search
        count, spans = trace_phrase(
            found.index, body.text, tokenize, found.backend.detokenize, body.min_tokens
        )
        for span in spans:
            span["documents"] = [placed(doc, span["tokens"]) for doc in span["documents"]]
        return count, spans

    count, spans = await run_in_threadpool(traced)
    reason: NoSpanReason | None = None
    if not spans:
        reason = "too_short" if count < body.min_tokens else "not_found"
    result = TraceResult(
        tokens=count,
        min_tokens=body.min_tokens,
        spans=[TracedSpan.model_validate(s) for s in spans],
        reason=reason,
        message=_no_span(reason, count, body.min_tokens, request_language(request)),
    )
    # Recorded last, once nothing can fail: a 500 after it would leave a record saying 200.
    await run_in_threadpool(record_access, request, principal, 200, "allowed")
    return result


def _no_span(reason: NoSpanReason | None, count: int, least: int, language: str) -> str | None:
    """Why nothing was found, in words: "Die Stadt" is two tokens, too short to look for at a
    shortest span of 4, which is not "no part of this text is in the training data"."""
    if reason == "too_short":
        said = plural(
            count,
            _("The text is too short to look for: it has 1 token and needs {least}.", least=least),
            _(
                "The text is too short to look for: it has {count} tokens and needs {least}.",
                count=count,
                least=least,
            ),
        )
    elif reason == "not_found":
        said = _(
            "No part of this text of {least} or more tokens occurs word for word in the "
            "training data.",
            least=least,
        )
    else:
        return None
    return text(said, language)
