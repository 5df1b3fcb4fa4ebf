"""Which sources a model reads, and how much of each, so that its context holds them beside
the instructions with room for its answer.

Whole sources first. Where they do not fit, every source shortened to its most relevant
sentences (`excerpt`), as long as the shortest excerpt of each still fits: a reader of a small
model's draft expects it to rest on all the sources found, not on the first one or two. Only
where even that does not fit is the last source left out, and the rest tried again. Citations
are checked against the whole sources: a quote from an excerpt is in its chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from gemeingut.apps.rag.excerpt import Ranked, ranked, shortened
from gemeingut.apps.rag.storage import StoredChunk
from gemeingut.errors import InputError
from gemeingut.i18n import _

Build = Callable[[list[StoredChunk]], list[dict]]  # the messages that show these sources
Count = Callable[[list[dict]], "tuple[int, int] | None"]  # (tokens, context), or None
SHORTEST = 120  # characters of a source at the least: about one sentence
STEP = 20  # characters: the excerpts' length is searched to this precision


@dataclass(frozen=True)
class Fitted:
    sources: list[StoredChunk]  # those kept, whole: the sources cited, checked and listed
    shown: list[StoredChunk]  # what the model reads of them: each whole or its excerpt
    room: int  # tokens left for the answer (the least of every request's)

    @property
    def shortened(self) -> int:
        """How many sources the model reads only in part."""
        return sum(a.text != b.text for a, b in zip(self.sources, self.shown, strict=True))


def fit_sources(
    query: str,
    sources: list[StoredChunk],
    language: str,
    needs: list[tuple[Build, int]],
    count: Count,
) -> Fitted:
    """The sources that every request in `needs` (its messages, the tokens its answer wants)
    holds with room for its answer (at least a quarter of the context, or what it wants);
    `count` None: all, whole, with what each wants."""
    wanted = min(tokens for _build, tokens in needs)
    if count(needs[0][0](sources)) is None:
        return Fitted(sources, sources, wanted)

    def rooms(shown: list[StoredChunk], enough: bool) -> int | None:
        """The least room left for an answer; None as soon as one request lacks it (with
        `enough`: a quarter of the context or what it wants; else: one token)."""
        least = wanted
        for build, tokens in needs:
            used, context = count(build(shown)) or (0, 0)
            room = context - used
            if room < (min(tokens, context // 4) if enough else 1):
                return None
            least = min(least, tokens, room)
        return least

    chunks = [ranked(s.text, query, language) for s in sources]
    for n in range(len(sources), 0, -1):
        kept = sources[:n]
        room = rooms(kept, True)
        if room is not None:
            return Fitted(kept, kept, room)
        budget = _longest_fitting(kept, chunks[:n], lambda shown: rooms(shown, True))
        if budget is not None:
            shown = _excerpts(kept, chunks[:n], budget)
            return Fitted(kept, shown, rooms(shown, True) or 1)
    # not even one source leaves the answer its room: the best one, at its shortest
    shown = _excerpts(sources[:1], chunks[:1], SHORTEST)
    room = rooms(shown, False)
    if room is None:
        used, context = count(needs[0][0](shown)) or (0, 0)
        raise InputError(
            _(
                "the model's context ({context} tokens) cannot hold the instructions, the "
                "question and one source ({used} tokens)",
                context=context,
                used=used,
            ),
            _("use a model with a longer context, or ingest with smaller chunks"),
        )
    return Fitted(sources[:1], shown, room)


def _longest_fitting(
    kept: list[StoredChunk],
    chunks: list[Ranked],
    fits: Callable[[list[StoredChunk]], int | None],
) -> int | None:
    """The largest length of every excerpt (to `STEP` characters) with which they fit; None
    where not even the shortest do."""
    low, high = SHORTEST, max(len(c.text) for c in chunks)
    if fits(_excerpts(kept, chunks, low)) is None:
        return None
    while high - low > STEP:
        middle = (low + high) // 2
        if fits(_excerpts(kept, chunks, middle)) is None:
            high = middle
        else:
            low = middle
    return low


def _excerpts(kept: list[StoredChunk], chunks: list[Ranked], budget: int) -> list[StoredChunk]:
    return [replace(s, text=shortened(c, budget)) for s, c in zip(kept, chunks, strict=True)]
