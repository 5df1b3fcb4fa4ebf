"""What every filter block shares: one check per text, a tally per reason, exclusion records."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from gemeingut.data.documents import Document, ExclusionSink, exclusion_for


class Rejection(NamedTuple):
    """Why a text fails a filter: a specific reason (`gopher-quality:mean-word-length`) and the
    measured value against its threshold in `detail`, so an exclusion can be checked by hand."""

    reason: str
    detail: str


@dataclass
class Tally:
    """Documents seen, kept and excluded per reason; `in == kept + excluded` holds per block."""

    seen: int = 0
    kept: int = 0
    excluded: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "seen": self.seen,
            "kept": self.kept,
            "excluded": sum(self.excluded.values()),
            "excluded_by_reason": dict(self.excluded.most_common()),
        }


def filter_documents(
    docs: Iterator[Document],
    exclude: ExclusionSink,
    check: Callable[[Document], Rejection | None],
    tally: Tally,
) -> Iterator[Document]:
    for doc in docs:
        tally.seen += 1
        rejection = check(doc)
        if rejection is None:
            tally.kept += 1
            yield doc
        else:
            tally.excluded[rejection.reason] += 1
            exclude(exclusion_for(doc, rejection.reason, rejection.detail))


# Words for German and English: letters with umlauts and ß, digits, inner hyphens, apostrophes
# and dots ("1-DM-Goldmünze", "z.B", "geht's", "1.000,50", "2000-12-27"), a trailing hyphen of a
# German elision ("Wert- und Bildseite") and the section signs § / §§, which read as words.
_WORD = re.compile(r"§§?|\w+(?:(?:[-‐'’.]|(?<=\d),(?=\d))\w+)*-?")


def split_words(text: str) -> list[str]:
    """The words of a text, punctuation dropped; one regex pass, no language model needed."""
    return list(_words_of_last_text(text))


@lru_cache(maxsize=1)
def _words_of_last_text(text: str) -> tuple[str, ...]:
    """Gopher quality, Gopher repetition and FineWeb quality all split the same text in turn:
    the regex is the costliest part of each, so the last text's words are kept."""
    return tuple(_WORD.findall(text))


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0
