"""Texts cut to what a remote encoder reads, before they are sent to its `/v1/embeddings`.

An engine that names its model's context (`max_model_len` on `/v1/models`, as vLLM and
`gemeingut serve` do) refuses a longer text (ours: `context_length_exceeded`, vLLM: a 400) or
cuts it where nobody sees. A chunk is therefore cut here, as a local encoder cuts it
(`embedders.LocalEmbedder`): its start is kept (it carries the topic), whole words, the
longest start the engine's own count (`/tokenize` beside /v1: `Endpoint.count`, as answering
counts) still takes, the model's own tokens (CLS, SEP) included as the engine counts them.
Where the engine offers no `/tokenize`, a text is cut to a start of at most the context less
`FRAME` tokens by a bound (`weight`): a tokenizer makes at most one token of a byte (byte-level
BPE, SentencePiece's byte fallback) or of a character (WordPiece, SentencePiece) of the text
as its normalizer leaves it, and a normalizer may make several characters of one (NFKC, as
XLM-R's: "½" is "1⁄2", "ﷺ" eighteen); a character weighs the most UTF-8 bytes of it as
written, decomposed or decomposed for compatibility (NFD, NFKD), so that start fits; it is
shorter than the model could read, and said so (`Cut.by_bytes`). A text light enough by
that bound is sent without a count. Each text cut is noted (`cuts.note_cut`) for whoever had
it embedded: an ingest's report, a server's search, answer or upload.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable

from gemeingut.apps.rag.cuts import Cut, note_cut
from gemeingut.apps.rag.endpoint import Endpoint

FRAME = 16  # tokens left for the model's own (2 for BERT, XLM-R, E5) where nothing counts them
_WORD_END = re.compile(r"\S(?=\s|$)")
_SPACE = re.compile(r"\s")


class Fitting:
    """Texts cut to `limit` tokens of the model `model` at `endpoint`; `limit` None: the
    engine does not say its context, and every text goes as it is."""

    def __init__(self, endpoint: Endpoint, model: str, limit: int | None) -> None:
        self.endpoint = endpoint
        self.model = model
        self.limit = limit
        self._tokenize: bool | None = None  # whether the engine counts; None: not asked yet

    def fitted(self, texts: list[str]) -> list[str]:
        return texts if self.limit is None else [self._fitted(t, self.limit) for t in texts]

    def _fitted(self, text: str, limit: int) -> str:
        bound = max(limit - FRAME, 1)
        if weight(text) <= bound:
            return text
        count = self._count(text)
        if count is not None and count <= limit:
            return text
        start = longest_start(text, limit, self._count) if count is not None else None
        if start is None:  # nothing counts it, or not even its first word fits
            start = _bytes_start(text, bound)
        note_cut(Cut(text, len(start), limit, by_bytes=count is None))
        return start

    def _count(self, text: str) -> int | None:
        """The engine's token count of `text` as it embeds it; None where it offers none (then
        it is not asked again)."""
        if self._tokenize is False:
            return None
        counted = self.endpoint.count({"model": self.model, "prompt": text})
        self._tokenize = counted is not None
        return None if counted is None else counted[0]


def longest_start(text: str, limit: int, count: Callable[[str], int | None]) -> str | None:
    """The longest start of `text` that ends with a whole word and counts at most `limit`
    tokens (a binary search over its word ends); None where not even the first word does."""
    ends = [m.end() for m in _WORD_END.finditer(text)]
    low, high = 0, len(ends)  # ends[:low] fit; ends[high:] do not
    while low < high:
        middle = (low + high + 1) // 2
        said = count(text[: ends[middle - 1]])
        if said is not None and said <= limit:
            low = middle
        else:
            high = middle - 1
    return text[: ends[low - 1]] if low else None


def weight(text: str) -> int:
    """At least as many as the tokens any tokenizer makes of `text` (see the module's
    docstring): the most UTF-8 bytes of it as written, NFD and NFKD (composing, as NFC and
    NFKC do, only joins characters)."""
    if text.isascii():  # ASCII is its own decomposition
        return len(text)
    forms = (text, unicodedata.normalize("NFD", text), unicodedata.normalize("NFKD", text))
    return max(len(form.encode("utf-8")) for form in forms)


def _bytes_start(text: str, most: int) -> str:
    """The longest start of `text` that weighs at most `most` (each character by itself, which
    weighs at least what it does among others), ending with a whole word where one ends in it."""
    weights = itertools.accumulate(weight(character) for character in text)
    length = next((n for n, total in enumerate(weights) if total > most), len(text))
    start = text[:length]
    if len(start) < len(text) and not text[len(start)].isspace():
        spaces = [m.start() for m in _SPACE.finditer(start.rstrip())]
        start = start[: spaces[-1]] if spaces else start
    return start.rstrip()
