"""Span tracing: which parts of a generated text occur verbatim in the model's own training data,
and in which documents (id, licence).

The training documents are tokenized with the model's tokenizer into one array (documents
separated by a token id no text has) and indexed by a suffix array (libdivsufsort through
`pydivsufsort`, MIT). For every position of the generated tokens, the longest match is found by
narrowing the suffix array's range one token at a time; maximal matches of at least
`min_tokens` are reported with their number of occurrences and where they are. This is what
infini-gram does, with OSI-licensed parts and our own corpus only.

Byte-level tokens may split a character ("Ö" is two bytes, and a corpus's " Ö" one token where
the query's "Ö" is two), so a span may begin or end inside one: its text is widened to whole
characters before it is shown, never a "�ffnungszeiten".

A phrase someone types is traced as words (`trace_phrase`): its first word, tokenized at the start
of the text, has no space before it where the training data has one ("Beim" is "B"+"ei"+"m",
the corpus's " Beim" is " Bei"+"m"), so it is also traced with a space before it and the better
of the two kept; and a span is cut back to whole words, never "m Repair-Café" or "andelt sich".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

SEPARATOR = np.iinfo(np.uint32).max
MIN_SPAN_TOKENS = 8
MAX_LOCATIONS = 3
REPLACEMENT = "\ufffd"  # what a decoder writes for the bytes of a character cut apart
MAX_SPLIT_TOKENS = 3  # a character has at most 4 UTF-8 bytes: 3 more tokens hold the rest


@dataclass(frozen=True)
class SpanIndex:
    tokens: np.ndarray  # uint32, documents separated by SEPARATOR
    suffixes: np.ndarray  # suffix array of `tokens`
    starts: np.ndarray  # where each document begins in `tokens`
    documents: list[dict[str, Any]]  # id, license, source per document

    @classmethod
    def build(
        cls, documents: Iterable[dict[str, Any]], tokenize: Callable[[str], list[int]]
    ) -> SpanIndex:
        from pydivsufsort import divsufsort

        parts: list[np.ndarray] = []
        starts: list[int] = []
        meta: list[dict[str, Any]] = []
        position = 0
        for doc in documents:
            ids = np.asarray(tokenize(doc["text"]), dtype=np.uint32)
            starts.append(position)
            meta.append({k: doc.get(k) for k in ("id", "license", "source")})
            parts += [ids, np.array([SEPARATOR], dtype=np.uint32)]
            position += len(ids) + 1
        tokens = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint32)
        suffixes = divsufsort(tokens.copy()) if len(tokens) else np.empty(0, dtype=np.int64)
        return cls(tokens, np.asarray(suffixes), np.asarray(starts, dtype=np.int64), meta)

    def longest_match(self, query: list[int], start: int) -> tuple[int, int, int]:
        """Length of the longest prefix of query[start:] found in the corpus, and the range
        of suffixes (lo, hi) that begin with it."""
        lo, hi, length = 0, len(self.suffixes), 0
        while start + length < len(query) and lo < hi:
            token = query[start + length]
            new_lo = self._bound(lo, hi, length, token, upper=False)
            new_hi = self._bound(new_lo, hi, length, token, upper=True)
            if new_lo == new_hi:
                break
            lo, hi, length = new_lo, new_hi, length + 1
        return length, lo, hi

    def _bound(self, lo: int, hi: int, offset: int, token: int, upper: bool) -> int:
        """First suffix in [lo, hi) whose token at `offset` is >= token (> token if upper);
        within the range all suffixes share their first `offset` tokens, so this is sorted."""
        n = len(self.tokens)
        while lo < hi:
            mid = (lo + hi) // 2
            position = int(self.suffixes[mid]) + offset
            value = int(self.tokens[position]) if position < n else -1
            if value < token or (upper and value == token):
                lo = mid + 1
            else:
                hi = mid
        return lo

    def locate(self, lo: int, hi: int) -> list[dict[str, Any]]:
        """The first occurrences in corpus order (not the suffix array's, which for equal
        document ends depends on the documents after them): the same over any subset of the
        documents that holds every occurrence, as `verify`'s re-trace indexes."""
        occurrences = self.suffixes[lo:hi]
        if len(occurrences) > MAX_LOCATIONS:
            occurrences = np.partition(occurrences, MAX_LOCATIONS - 1)[:MAX_LOCATIONS]
        return self._at(occurrences)

    def places(self, lo: int, hi: int) -> list[dict[str, Any]]:
        """Every occurrence, in corpus order: what a report that names some of them (any of
        them, where there are more than it names) is checked against."""
        return self._at(self.suffixes[lo:hi])

    def _at(self, occurrences: np.ndarray) -> list[dict[str, Any]]:
        """The documents at these positions of the corpus, with the token offsets in them."""
        found = []
        for position in sorted(int(p) for p in occurrences):
            doc = int(np.searchsorted(self.starts, position, side="right")) - 1
            found.append({**self.documents[doc], "token_offset": position - int(self.starts[doc])})
        return found


def trace(
    index: SpanIndex,
    query: list[int],
    detokenize: Callable[[list[int]], str],
    min_tokens: int = MIN_SPAN_TOKENS,
    whole_words: bool = False,
) -> list[dict[str, Any]]:
    """The maximal spans of `query` (at least `min_tokens` long) found verbatim in training;
    with `whole_words`, each cut back to the words it holds whole (and left out if then shorter
    than `min_tokens`)."""
    spans = []
    covered_until = 0
    for start in range(len(query)):
        length, lo, hi = index.longest_match(query, start)
        if length < min_tokens or start + length <= covered_until:
            continue  # too short, or inside a span already reported
        covered_until = start + length
        first, last = start, start + length
        if whole_words:
            first, last = word_bounds(query, first, last, detokenize)
            if last - first < min_tokens:
                continue
            _, lo, hi = index.longest_match(query[:last], first)  # a part occurs more often
        spans.append(
            {
                "start": first,
                "tokens": last - first,
                "text": whole_characters(query, first, last, detokenize),
                "occurrences": hi - lo,
                "documents": index.locate(lo, hi),
            }
        )
    return spans


def trace_phrase(
    index: SpanIndex,
    text: str,
    tokenize: Callable[[str], list[int]],
    detokenize: Callable[[list[int]], str],
    min_tokens: int = MIN_SPAN_TOKENS,
) -> tuple[int, list[dict[str, Any]]]:
    """The whole-word spans of a typed phrase, and its number of tokens: traced as it is and,
    where it begins with no space, with one, as its first word stands inside a document; the
    tokenization whose spans hold more of the text is kept (the first on a tie)."""

    def traced(variant: str) -> tuple[int, list[dict[str, Any]]]:
        query = tokenize(variant)
        spans = trace(index, query, detokenize, min_tokens, whole_words=True)
        for span in spans:
            span["text"] = span["text"].strip()
        return len(query), spans

    count, spans = traced(text)
    if not text[:1].isspace():
        spaced_count, spaced = traced(" " + text)
        if sum(len(s["text"]) for s in spaced) > sum(len(s["text"]) for s in spans):
            count, spans = spaced_count, spaced
    return count, spans


def word_bounds(
    query: list[int], start: int, end: int, detokenize: Callable[[list[int]], str]
) -> tuple[int, int]:
    """query[start:end] cut back to the words it holds whole: its ends moved inwards to the
    nearest token boundaries that are not inside a word (nor inside a character)."""
    while start < end and not _word_edge(query, start, detokenize):
        start += 1
    while end > start and not _word_edge(query, end, detokenize):
        end -= 1
    return start, end


def _word_edge(query: list[int], at: int, detokenize: Callable[[list[int]], str]) -> bool:
    """Whether the boundary before query[at] is not inside a word: in the text around it,
    decoded whole (a tokenizer may drop a space at the start of what it decodes), no letter or
    digit on both sides; a boundary that splits a character's bytes is inside it."""
    if at <= 0 or at >= len(query):
        return True
    lo = max(0, at - MAX_SPLIT_TOKENS)
    before = detokenize(query[lo:at])
    around = detokenize(query[lo : at + MAX_SPLIT_TOKENS])
    if before.endswith(REPLACEMENT) or not around.startswith(before):
        return False  # the tokens before `at` end inside a character
    left, right = before[-1:], around[len(before) : len(before) + 1]
    return not (left.isalnum() and right.isalnum())


def whole_characters(
    query: list[int], start: int, end: int, detokenize: Callable[[list[int]], str]
) -> str:
    """The text of query[start:end], widened to whole characters: where the span begins or
    ends inside a character, the neighbouring tokens that hold its other bytes are decoded
    with it, and their other, whole characters cut off again."""
    first, last = start, end
    shown = detokenize(query[first:last])
    while shown.startswith(REPLACEMENT) and first > max(0, start - MAX_SPLIT_TOKENS):
        first -= 1
        shown = detokenize(query[first:last])
    while shown.endswith(REPLACEMENT) and last < min(len(query), end + MAX_SPLIT_TOKENS):
        last += 1
        shown = detokenize(query[first:last])
    before = detokenize(query[first:start]).rstrip(REPLACEMENT) if first < start else ""
    after = detokenize(query[end:last]).lstrip(REPLACEMENT) if last > end else ""
    if before and shown.startswith(before):
        shown = shown[len(before) :]
    if after and shown.endswith(after):
        shown = shown[: -len(after)]
    return shown
