"""A source shortened to its sentences most relevant to a question, so that a model with a
small context reads some of every source instead of all of a few.

Each sentence stays verbatim and in the chunk's order: a quote the model takes from it is still
in the chunk, where the citation check looks for it. A heading line is a sentence of its own
("3.1 Vergabevermerk"): left out without a mark, the excerpt seemed to begin where the chunk
does. Left-out sentences are marked "…".
"""

from __future__ import annotations

from dataclasses import dataclass

from gemeingut.apps.rag.lexical import tokenize
from gemeingut.apps.rag.readers import Passage
from gemeingut.apps.rag.sentences import sentences

GAP = "…"


@dataclass(frozen=True)
class Ranked:
    """A chunk's text, its sentences in order, and their indexes by relevance (best first)."""

    text: str
    sentences: tuple[str, ...]
    order: tuple[int, ...]


def ranked(text: str, query: str, language: str) -> Ranked:
    """Sentences ranked by how many of the query's words (stemmed, without stop words, as
    BM25 reads them) each holds; among equals the earlier first."""
    found = tuple(s.quote for s in sentences(Passage(text), headings=True))
    if not found:
        return Ranked(text, (text,), (0,))
    wanted = set(tokenize([query], language)[0])
    held = tokenize(list(found), language)
    scores = [len(wanted & set(words)) for words in held]
    order = sorted(range(len(found)), key=lambda i: (-scores[i], i))
    return Ranked(text, found, tuple(order))


def shortened(chunk: Ranked, budget: int) -> str:
    """The chunk's text where it has at most `budget` characters; else its most relevant
    sentences that fit, in order, gaps marked; else the best sentence's beginning."""
    if len(chunk.text) <= budget:
        return chunk.text
    chosen: list[int] = []
    used = 0
    for i in chunk.order:
        cost = len(chunk.sentences[i]) + len(GAP) + 1
        if used + cost <= budget:
            chosen.append(i)
            used += cost
    if not chosen:  # the best sentence alone is longer: its beginning, cut at a space
        best = chunk.sentences[chunk.order[0]][:budget]
        cut = best.rsplit(None, 1)[0] if " " in best.strip() else best
        return f"{cut} {GAP}"
    chosen.sort()
    parts = [GAP] if chosen[0] > 0 else []
    for n, i in enumerate(chosen):
        if n and i != chosen[n - 1] + 1:
            parts.append(GAP)
        parts.append(chunk.sentences[i])
    if chosen[-1] < len(chunk.sentences) - 1:
        parts.append(GAP)
    return " ".join(parts)
