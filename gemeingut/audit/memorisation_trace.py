"""The memorised continuations traced over only the parts of the training documents that can
hold one of their spans: what `verify` does instead of indexing the whole training corpus again.

A span the tracer reports has at least `min_tokens` tokens, so every place it occurs holds one of
the continuation's `min_tokens`-token windows, and so the pieces of text that window leaves
(`memorisation_needles.py`). Those places are found by a string search over the raw texts
(`memorisation_search.py`). Of each document found, only the text around them is tokenized (as
far on each side as the continuation's tokens cover, widened to places where the tokenizer cuts
as in the whole document), or the whole document where the tokenizer gives no such places.
Over these parts, in corpus order, the tracer finds every span with the same length and number
of occurrences as over all documents, and names the same documents with the same token offsets
(the first ones in corpus order, `SpanIndex.locate`; an offset counted from the document's
start), and on request every place a span occurs: a report may name any of them where there
are more than the tracer names (one from before the first ones were taken in corpus order names
others), each checked to be one. A report that names another document, leaves one out or gives
another licence is then named as surely as by indexing everything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from gemeingut.audit.memorisation import trace_memorised
from gemeingut.audit.memorisation_needles import ByteLevelText, byte_level_text
from gemeingut.audit.memorisation_search import holding
from gemeingut.audit.span_trace import SpanIndex
from gemeingut.audit.subject import iter_documents

if TYPE_CHECKING:
    from tokenizers import Tokenizer

Part = tuple[dict[str, Any], int, int]  # a document, and where its part begins and ends


class TextTokenizer(Protocol):
    def tokenize(self, text: str) -> list[int]: ...
    def detokenize(self, ids: list[int]) -> str: ...


class PlainTokenizer:
    """A `tokenizers` tokenizer encoding and decoding as the audit's model target does (no
    special tokens added, special tokens skipped), with what it lets the trace spare (`text`:
    None where that is not known for it)."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self.text = byte_level_text(tokenizer)

    def tokenize(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def detokenize(self, ids: list[int]) -> str:
        return str(self.tokenizer.decode(ids, skip_special_tokens=True))


def trace_in_training(
    files: tuple[Path, ...],
    tokenizer: TextTokenizer,
    records: list[dict[str, Any]],
    min_tokens: int,
    text: ByteLevelText | None,
    every_place: bool = False,
) -> list[dict[str, Any]]:
    """`trace_memorised` over the training files, tokenizing only what a span can come from;
    `text` None (a tokenizer of which that is not known): every document whole. With
    `every_place`, each span also lists every place it occurs (`places`), as its `documents`
    name the first ones."""
    memorised = [r["continuation"] for r in records if r["near_verbatim"]]
    windows = {
        tuple(ids[start : start + min_tokens])
        for ids in memorised
        for start in range(len(ids) - min_tokens + 1)
    }
    needles = [] if text is None else [text.pieces(window) for window in windows]
    if text is None or not windows or not all(needles):  # a window without known text: anywhere
        documents = iter_documents(files) if windows else iter(())
        index = SpanIndex.build(documents, tokenizer.tokenize)
        traced = trace_memorised(index, tokenizer, records, min_tokens)
        return _with_places(index, memorised, traced) if every_place else traced
    margin = max(text.chars(ids) for ids in memorised)
    parts = list(_parts(files, needles, margin, text))
    index = SpanIndex.build(
        ({**doc, "text": doc["text"][start:end]} for doc, start, end in parts), tokenizer.tokenize
    )
    index = dataclasses.replace(
        index, documents=[{**meta, "part": n} for n, meta in enumerate(index.documents)]
    )
    traced = trace_memorised(index, tokenizer, records, min_tokens)
    if every_place:
        traced = _with_places(index, memorised, traced)
    before: dict[int, int] = {}  # tokens of a document before its part
    spans = [s for t in traced for s in t["spans"]]
    for location in (d for s in spans for d in [*s["documents"], *s.get("places", [])]):
        n = location.pop("part")
        if n not in before:
            doc, start, _ = parts[n]
            before[n] = len(tokenizer.tokenize(doc["text"][:start])) if start else 0
        location["token_offset"] += before[n]
    return traced


def _with_places(
    index: SpanIndex, memorised: list[list[int]], traced: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """`traced` (one entry per memorised continuation, in order) with every place of each span:
    the suffixes that begin with exactly its tokens."""
    for ids, entry in zip(memorised, traced, strict=True):
        for span in entry["spans"]:
            end = span["start"] + span["tokens"]
            _length, lo, hi = index.longest_match(ids[:end], span["start"])
            span["places"] = index.places(lo, hi)
    return traced


def _parts(
    files: tuple[Path, ...], needles: list[list[str]], margin: int, text: ByteLevelText
) -> Iterator[Part]:
    """The parts, in corpus order, of the documents that hold one needle's pieces."""
    for file in files:  # one file's texts at a time
        documents = list(iter_documents((file,)))
        for i, anchors in holding([d["text"] for d in documents], needles).items():
            doc = documents[i]
            whole = doc["text"]
            if not anchors or not text.cut_at_spaces or text.holds_added(whole):
                yield doc, 0, len(whole)
                continue
            around = sorted(
                (max(0, at - margin), min(len(whole), at + len(anchor) + margin))
                for anchor in anchors
                for at in _occurrences(whole, anchor)
            )
            for start, end in _merged(_cut(whole, lo, hi) for lo, hi in around):
                yield doc, start, end


def _occurrences(whole: str, piece: str) -> Iterator[int]:
    at = whole.find(piece)
    while at >= 0:
        yield at
        at = whole.find(piece, at + 1)


def _cut(whole: str, lo: int, hi: int) -> tuple[int, int]:
    """[lo, hi) widened to places before a space that follows a character other than
    whitespace (or the text's ends): GPT-2's pre-tokenizer cuts there whatever surrounds it."""
    start = lo
    while start > 0 and not (whole[start] == " " and not whole[start - 1].isspace()):
        start = whole.rfind(" ", 0, start)
        start = max(start, 0)
    end = hi
    while end < len(whole) and not (whole[end] == " " and not whole[end - 1].isspace()):
        found = whole.find(" ", end + 1)
        end = found if found >= 0 else len(whole)
    return start, end


def _merged(spans: Iterator[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
