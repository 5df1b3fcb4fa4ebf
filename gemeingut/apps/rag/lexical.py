"""BM25 over a collection's words and, in German, over the parts of its compound words.

An index folder holds two BM25 indexes (bm25s): `bm25/` of each chunk's words (lower-cased,
stop words removed, Snowball-stemmed), as before compounds were split, and `bm25-parts/` of
the stemmed parts of its compound words (`german_terms`). A question scores its words in the
first, plus `PASSAGE_PARTS_WEIGHT` times its words and their parts in the second (it asks for
the "Frist für Angebote", the passage says "Angebotsfrist"), plus `QUESTION_PARTS_WEIGHT`
times its words' parts in the first (it asks for the "Vergabeverfahren", the passage says
"Verfahren der Vergabe").

Why two indexes and small weights: with the parts in the same index as the words, every chunk
grows and common stems become more common, and on the benchmark's questions (made of a §'s
own words) recall@5 fell by up to 3 points. Kept apart and weighted, the parts cost at most a
question or two there and find 7 points more when a question writes a compound as its parts
(docs/benchmarks.md, Retrieval). A question's parts weigh less than a passage's: the words
"Frist" and "Angebot" in a passage are weaker evidence for "Angebotsfrist" than the compound
itself is for them.

A collection records its splitting (`german_terms.scheme`) in `collection.json`; an index made
before splitting existed has no `bm25-parts/` and is searched by its words alone, as it was.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from gemeingut.apps.rag.german_terms import parts, scheme, splits
from gemeingut.apps.rag.readers import without_invisible, without_ligatures

WHOLE_DIR = "bm25"
PARTS_DIR = "bm25-parts"
PASSAGE_PARTS_WEIGHT = 0.3
QUESTION_PARTS_WEIGHT = 0.1
_SPLITTER = r"(?u)\b\w+\b"  # single digits count: "§ 5" is a question about § 5
_STEMMERS = {"de": "german", "en": "english"}


def tokenize(texts: list[str], language: str) -> list[list[str]]:
    """Words for BM25; a soft hyphen or zero-width space inside a word does not split it, and
    a ligature (ﬁ, ﬂ, …) is its letters, as the readers leave a chunk, wherever the text came
    from (a question pasted from a web page or a PDF)."""
    import bm25s

    return bm25s.tokenize(
        [_letters(text) for text in texts],
        lower=True,
        stopwords=language,  # bm25s' own lists: "de", "en"
        stemmer=_stemmer(language),
        token_pattern=_SPLITTER,
        return_ids=False,
        show_progress=False,
    )


def words_and_parts(texts: list[str], language: str) -> tuple[list[list[str]], list[list[str]]]:
    """The words of each text, as `tokenize` makes them, and the stemmed parts of its compound
    words (a part that is the word's own stem is not one)."""
    import bm25s

    ids, vocabulary = bm25s.tokenize(
        [_letters(text) for text in texts],
        lower=True,
        stopwords=language,
        stemmer=None,
        token_pattern=_SPLITTER,
        show_progress=False,
    )
    stemmer = _stemmer(language)
    words = list(vocabulary)  # in the order of their ids
    stems = stemmer.stemWords(words)
    split: list[list[str]] = []
    for word, stem in zip(words, stems, strict=True):
        found = parts(word)
        split.append(list(dict.fromkeys(stemmer.stemWords(list(found)))) if found else [])
        if stem in split[-1]:
            split[-1].remove(stem)
    whole = [[stems[i] for i in doc] for doc in ids]
    return whole, [[p for i in doc for p in split[i]] for doc in ids]


def write(folder: Path, texts: list[str], language: str) -> str:
    """Index `texts` (one per chunk) in `folder`; returns the splitting for the collection to
    record."""
    terms = scheme(language)
    if not splits(terms):
        _save(tokenize(texts, language), folder / WHOLE_DIR)
        return terms
    whole, found = words_and_parts(texts, language)
    _save(whole, folder / WHOLE_DIR)
    if any(found):  # bm25s cannot index nothing; no parts, no second index
        _save(found, folder / PARTS_DIR)
    return terms


class Lexical:
    """A collection's BM25 indexes, memory-mapped, and how its questions are split."""

    def __init__(self, folder: Path, terms: str, language: str) -> None:
        self.terms = terms
        self.language = language
        self.whole = _load(folder / WHOLE_DIR)
        self.parts = _load(folder / PARTS_DIR) if (folder / PARTS_DIR).is_dir() else None

    def search(self, question: str, depth: int) -> list[tuple[int, float]]:
        """The best `depth` (row, score) with a score above 0, best first; rows of equal
        score in their order. Scored with bm25s' `get_scores`, not its `retrieve`, which sends
        every question through a thread pool (15 to 30 ms a question on all laws, 1 to 2 here)."""
        if not splits(self.terms):  # refuses another word list than this gemeingut's
            scores = _scores(self.whole, tokenize([question], self.language)[0])
        else:
            [whole], [found] = words_and_parts([question], self.language)
            scores = (
                _scores(self.whole, whole)
                + PASSAGE_PARTS_WEIGHT * _scores(self.parts, whole + found)
                + QUESTION_PARTS_WEIGHT * _scores(self.whole, found)
            )
        return _best(scores, depth)


def _letters(text: str) -> str:
    """`text` as the readers leave a chunk: no invisible characters, no ligatures."""
    return without_ligatures(without_invisible(text))


def _scores(index: Any, terms: list[str]) -> np.ndarray | float:
    known = [t for t in terms if t in index.vocab_dict] if index is not None else []
    return index.get_scores(known) if known else 0.0


def _best(scores: np.ndarray | float, depth: int) -> list[tuple[int, float]]:
    if not isinstance(scores, np.ndarray):
        return []
    rows = np.flatnonzero(scores > 0)
    if len(rows) > depth:
        cut = np.partition(scores[rows], len(rows) - depth)[len(rows) - depth]
        rows = rows[scores[rows] >= cut]
    rows = rows[np.lexsort((rows, -scores[rows]))][:depth]
    return [(int(r), float(scores[r])) for r in rows]


def _save(tokens: list[list[str]], folder: Path) -> None:
    import bm25s

    index = bm25s.BM25()
    index.index(tokens, show_progress=False)
    index.save(str(folder), show_progress=False)


def _load(folder: Path) -> Any:
    import bm25s

    return bm25s.BM25.load(str(folder), mmap=True)


@cache
def _stemmer(language: str):
    import Stemmer

    return Stemmer.Stemmer(_STEMMERS.get(language, "german"))
