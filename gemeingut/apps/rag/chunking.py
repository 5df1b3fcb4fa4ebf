"""Passages cut into chunks a model can read and a citation can name.

A chunk holds at most `max_words` words of one passage, so it never crosses a page or a
section: the page a citation names is the page of every word in it. Consecutive chunks of a
long passage overlap by `overlap` words, so a sentence cut at a boundary is whole in one of
them. Cuts fall on sentence ends where one is near. A chunk keeps its passage's section, the
heading path with the document's title ("Satzung über die Hundesteuer › § 2 Steuersatz"),
which the index searches beside the text; the text itself stays the document's own words, what
a citation quotes and is checked against. A chunk of a text file knows the file's lines it
spans, counted from where its passage starts: it names the place where no heading does, and
tells two chunks of one long section apart.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from gemeingut.apps.rag.readers import Page, Passage
from gemeingut.i18n import _

MAX_WORDS = 180
OVERLAP = 30
_WORD = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[.!?:;]['\"“”«»)]*$")


@dataclass(frozen=True)
class Chunk:
    text: str
    page: Page | None  # as printed: its number, or its label ("iii")
    section: str | None
    lines: tuple[int, int] | None = None  # a text file's first and last line it spans


def chunk_passages(
    passages: Iterable[Passage], max_words: int = MAX_WORDS, overlap: int = OVERLAP
) -> list[Chunk]:
    if not 0 <= overlap < max_words:
        raise ValueError(
            _(
                "overlap ({overlap}) must be below max_words ({max_words})",
                overlap=str(overlap),
                max_words=str(max_words),
            )
        )
    chunks = []
    for passage in passages:
        spans = [m.span() for m in _WORD.finditer(passage.text)]
        breaks = [m.start() for m in re.finditer("\n", passage.text)]
        start = 0
        while start < len(spans):
            end = _cut(passage.text, spans, start, max_words)
            text = passage.text[spans[start][0] : spans[end - 1][1]]
            lines = None
            if passage.line is not None:  # the breaks before the chunk's first and last word
                first = passage.line + bisect_right(breaks, spans[start][0])
                lines = (first, passage.line + bisect_right(breaks, spans[end - 1][1] - 1))
            chunks.append(Chunk(text, passage.page, passage.section, lines))
            if end == len(spans):
                break
            start = max(end - overlap, start + 1)
    return chunks


def _cut(text: str, spans: list[tuple[int, int]], start: int, max_words: int) -> int:
    """The end (exclusive) of the chunk from `start`: the last sentence end in the chunk's
    second half, else `max_words` words."""
    end = min(start + max_words, len(spans))
    if end == len(spans):
        return end
    for last in range(end, start + max_words // 2, -1):
        word = text[spans[last - 1][0] : spans[last - 1][1]]
        if _SENTENCE_END.search(word):
            return last
    return end
