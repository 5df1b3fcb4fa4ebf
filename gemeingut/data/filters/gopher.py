"""The Gopher rules (Rae et al. 2021, appendix A.1.1) with thresholds that keep German law.

The rules follow datatrove's GopherQualityFilter and GopherRepetitionFilter; the words come
from our own regex (`split_words`), not from spaCy or NLTK. Where a default differs from the
paper, the comment says why and what it was measured on. "The 300 laws" below are the first
300 rows of the German federal laws corpus (gesetze.parquet): Markdown hard-wrapped at ~70
columns, tables rendered as nested lists, 267 with a body and 33 that are only a title, a date and a
Fundstelle. Counts are of laws that exceed one threshold on its own. "FineWeb-2" means
huggingface/fineweb-2 configs/deu_Latn.yml, published in two revisions: A = commits
c7004ff/baedee4, B = commit 05e6729.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gemeingut.data.documents import Document, ExclusionSink
from gemeingut.data.filters.base import Rejection, Tally, filter_documents, ratio, split_words

# FineWeb-2's German stop words (both revisions) plus Gopher's English ones: a German or an
# English document, or a mixed one, passes with two of them.
STOP_WORDS = frozenset(
    {"der", "und", "die", "in", "von", "im", "den", "des", "mit", "das", "er", "dem", "als"}
    | {"wurde", "für", "the", "be", "to", "of", "and", "that", "have", "with"}
)
BULLETS = ("•", "●", "○", "◦", "▪", "■", "‣", "·", "-", "*", "–", "—", "+")
_HEADING_MARKS = re.compile(r"^#{1,6}(?=\s)", re.MULTILINE)
_DOT_RUN = re.compile(r"\.\.\.+")  # an ellipsis is exactly three dots: longer runs are leaders
_LETTER = re.compile(r"[^\W\d_]")
_LETTERLESS_WORD = re.compile(r"(?<!\S)[\d_.,'’‐-]+(?!\S)")  # numbers, dates; "§" has a letter
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


@dataclass
class GopherQuality:
    """Does the text look like prose: enough words of plausible length, few symbols, stop words.

    The defaults keep 267 of the 300 laws: 32 title-only records are too short and one table
    of numbers (AnrV 2020) has too short words; every other law with a body passes.
    """

    min_words: int | None = 50  # Gopher; 32 title-only records have 14-41, laws with a body >= 98
    # Gopher 100,000 would drop the great codes (BGB 208,756 words, SGB V, EStG, HGB, ZPO: 12
    # of all 6,636 federal laws) and whole books; no upper bound by default.
    max_words: int | None = None
    # Gopher 3-10 characters. German compounds are long: FineWeb-2 raised the maximum to 14
    # (A) / 15 (B) and dropped the minimum (0). We take 14 and keep Gopher's 3 against symbol
    # and letter soup; among the 300 laws only a table of numbers is below 3 (AnrV 2020, 2.6),
    # the laws with a body range 3.9-7.5.
    min_mean_word_length: float | None = 3.0
    max_mean_word_length: float | None = 14.0
    # Gopher: 0.1 per word for "#" and for "…". Markdown heading marks are not counted (laws
    # have one per section), nor runs of four or more dots (form fields "........").
    max_hash_ratio: float | None = 0.1
    max_ellipsis_ratio: float | None = 0.1
    # Gopher: 90 % of lines start with a bullet, 30 % end with an ellipsis. Counted over
    # non-empty lines, so blank lines between list items cannot hide a list-only page.
    max_bullet_lines: float | None = 0.9
    max_ellipsis_lines: float | None = 0.3
    # Gopher wants 80 % of words to have a letter, FineWeb-2 77.4 % (both revisions). Laws are
    # full of section, date and amount numbers ("§ 33 Absatz 6 Satz 3"): even with "§" counted
    # as a word with a letter (it reads "Paragraph"), 0.8 drops 41 of the 300 laws, 0.774 28
    # and 0.6 eleven (annual announcements of contribution rates, 0.54-0.56). 0.5 drops one,
    # a table of numbers (0.12); number and symbol soup stays far below.
    min_alpha_word_fraction: float | None = 0.5
    min_stop_words: int | None = 2  # Gopher and FineWeb-2
    stop_words: frozenset[str] = STOP_WORDS
    name: str = "gopher_quality"
    tally: Tally = field(default_factory=Tally, init=False)

    def check(self, text: str) -> Rejection | None:
        words = split_words(text)
        n = len(words)
        if self.min_words is not None and n < self.min_words:
            return _reject("too-few-words", n, "<", self.min_words)
        if self.max_words is not None and n > self.max_words:
            return _reject("too-many-words", n, ">", self.max_words)
        mean = ratio(sum(map(len, words)), n)
        if self.min_mean_word_length is not None and mean < self.min_mean_word_length:
            return _reject("mean-word-length", mean, "<", self.min_mean_word_length)
        if self.max_mean_word_length is not None and mean > self.max_mean_word_length:
            return _reject("mean-word-length", mean, ">", self.max_mean_word_length)
        if self.max_hash_ratio is not None:
            hashes = text.count("#") - sum(map(len, _HEADING_MARKS.findall(text)))
            if ratio(hashes, n) > self.max_hash_ratio:
                return _reject("hash-ratio", ratio(hashes, n), ">", self.max_hash_ratio)
        if self.max_ellipsis_ratio is not None:
            ellipses = ratio(_ellipses(text), n)
            if ellipses > self.max_ellipsis_ratio:
                return _reject("ellipsis-ratio", ellipses, ">", self.max_ellipsis_ratio)
        if self.max_bullet_lines is not None or self.max_ellipsis_lines is not None:
            lines = [line.strip() for line in text.splitlines()]
            lines = [line for line in lines if line]
            bullets = ratio(sum(line.startswith(BULLETS) for line in lines), len(lines))
            if self.max_bullet_lines is not None and bullets > self.max_bullet_lines:
                return _reject("bullet-lines", bullets, ">", self.max_bullet_lines)
            ends = ratio(sum(line.endswith(("...", "…")) for line in lines), len(lines))
            if self.max_ellipsis_lines is not None and ends > self.max_ellipsis_lines:
                return _reject("ellipsis-lines", ends, ">", self.max_ellipsis_lines)
        if self.min_alpha_word_fraction is not None:
            alpha = 1 - ratio(len(_LETTERLESS_WORD.findall(" ".join(words))), n)
            if alpha < self.min_alpha_word_fraction:
                return _reject("alpha-words", alpha, "<", self.min_alpha_word_fraction)
        if self.min_stop_words is not None:
            found = 0
            for word in words:
                if word.lower() in self.stop_words:
                    found += 1
                    if found >= self.min_stop_words:
                        break
            else:
                return _reject("stop-words", found, "<", self.min_stop_words)
        return None

    def run(self, docs: Iterator[Document], exclude: ExclusionSink) -> Iterator[Document]:
        return filter_documents(docs, exclude, lambda doc: self.check(doc.text), self.tally)

    def stats(self) -> dict[str, Any]:
        return self.tally.as_dict()


@dataclass
class GopherRepetition:
    """Is the text repeating itself: duplicate lines and paragraphs, dominant word n-grams.

    Lines and paragraphs are compared stripped, and only those with a letter count: blank lines
    and Markdown scaffolding ("*", "-", "| --- |", "........") are layout, not repeated content.
    Character fractions are of the whole text, as in Gopher.
    """

    # Lines that occurred before, by count and by characters. Gopher 0.3 and 0.2; FineWeb-2
    # 0.282 (A) / 0.263 (B) by count (by characters it uses FineWeb's rule). Tables repeat
    # their row labels: of the 300 laws 5 / 7 / 8 exceed 0.3 / 0.282 / 0.263, 7 exceed 0.2.
    max_duplicate_line_fraction: float | None = 0.3
    max_duplicate_line_chars: float | None = 0.2
    # Paragraphs, likewise: Gopher 0.3 and 0.2 (FineWeb-2 disables both; its extractor leaves
    # no paragraphs). Every table cell is a paragraph in our Markdown ("*   mg/l" 108 times):
    # by count 10 of the 300 laws exceed 0.3 and one exceeds 0.5; by characters 3 exceed 0.2.
    max_duplicate_paragraph_fraction: float | None = 0.5
    max_duplicate_paragraph_chars: float | None = 0.2
    # (n, max fraction of characters in the most frequent n-gram), if it occurs twice or more.
    # Gopher 0.20/0.18/0.16, which one of the 300 laws exceeds (a list of 366 × "Service-Center
    # Dresden"); FineWeb-2 A 0.077/0.101/0.123 (7 laws exceed), B 0.169/0.153/0.137 (3).
    top_ngram_chars: tuple[tuple[int, float], ...] = ((2, 0.2), (3, 0.18), (4, 0.16))
    # (n, max fraction of characters in n-grams seen before). Gopher 0.15/0.14/.../0.10;
    # FineWeb-2 A 0.142/.../0.088, B 0.141/.../0.098. Legal German is formulaic ("der
    # Abgabenordnung in der Fassung des Artikels"): for 5-grams the laws with a body have a
    # median of 0.13, p90 0.26, max 0.57. Gopher's values drop 120 of the 300 laws, A 129,
    # twice Gopher 16, 2.5 × Gopher (ours) 10; a text that is twice the same still scores 0.5.
    duplicate_ngram_chars: tuple[tuple[int, float], ...] = (
        (5, 0.375), (6, 0.35), (7, 0.325), (8, 0.3), (9, 0.275), (10, 0.25),
    )  # fmt: skip
    name: str = "gopher_repetition"
    tally: Tally = field(default_factory=Tally, init=False)

    def check(self, text: str) -> Rejection | None:
        length = len(text)
        rejection = _duplicated(
            "paragraph",
            _PARAGRAPH_BREAK.split(text),
            length,
            self.max_duplicate_paragraph_fraction,
            self.max_duplicate_paragraph_chars,
        ) or _duplicated(
            "line",
            text.splitlines(),
            length,
            self.max_duplicate_line_fraction,
            self.max_duplicate_line_chars,
        )
        if rejection:
            return rejection
        if self.top_ngram_chars or self.duplicate_ngram_chars:
            return self._check_ngrams(NGrams(split_words(text)), length)
        return None

    def _check_ngrams(self, grams: NGrams, length: int) -> Rejection | None:
        for n, limit in self.top_ngram_chars:
            rejection = _limit(f"top-{n}-gram", ratio(grams.top_chars(n), length), limit)
            if rejection:
                return rejection
        checks = sorted(self.duplicate_ngram_chars)
        for i, (n, limit) in enumerate(checks):
            share = ratio(grams.repeated_chars(n), length)
            rejection = _limit(f"duplicate-{n}-grams", share, limit)
            if rejection:
                return rejection
            # Words inside repeated (n+1)-grams are inside repeated n-grams too, so the share
            # can only fall as n grows: below every remaining limit, no larger n can fail.
            if all(share <= later for _, later in checks[i + 1 :]):
                return None
        return None

    def run(self, docs: Iterator[Document], exclude: ExclusionSink) -> Iterator[Document]:
        return filter_documents(docs, exclude, lambda doc: self.check(doc.text), self.tally)

    def stats(self) -> dict[str, Any]:
        return self.tally.as_dict()


_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant of the n-gram hash


class NGrams:
    """Word n-gram statistics on 64-bit hashes in numpy instead of joined strings.

    A word's value is Python's string hash, mixed; an n-gram's hash is built from its
    (n-1)-gram's. Python salts string hashes per process, so nothing may depend on hash order
    (ties are broken by position); only the (~2**-64) chance of a collision depends on the
    salt: results repeat across runs.
    """

    def __init__(self, words: list[str]) -> None:
        self.values = np.fromiter(map(hash, words), np.int64, len(words)).view(np.uint64)
        self.values = (self.values ^ (self.values >> np.uint64(29))) * _MULTIPLIER
        self.lengths = np.fromiter(map(len, words), np.int64, len(words))
        self.offsets = np.concatenate(([0], np.cumsum(self.lengths)))
        self._hashes = {1: self.values}
        self._no_repeats_from: int | None = None  # no repeated n-gram of this n, so none above

    def hashes(self, n: int) -> np.ndarray:
        if n not in self._hashes:
            shorter = self.hashes(n - 1)
            self._hashes[n] = shorter[:-1] * _MULTIPLIER + self.values[n - 1 :]
        return self._hashes[n]

    def chars(self, start: int, n: int) -> int:
        """Characters of the n-gram at `start`, words joined by one space."""
        return int(self.offsets[start + n] - self.offsets[start]) + n - 1

    def top_chars(self, n: int) -> int:
        """Characters in all occurrences of the most frequent n-gram, if it occurs twice.

        Of several equally frequent n-grams the one that occurs first counts (as datatrove's
        `Counter.most_common`): taking the first in hash order would let the per-process salt
        pick between n-grams of different lengths, and the verdict change from run to run."""
        hashes = self.hashes(n)
        if len(hashes) < 2:
            return 0
        _, first, counts = np.unique(hashes, return_index=True, return_counts=True)
        top = int(counts.max())
        if top < 2:
            return 0
        return top * self.chars(int(first[counts == top].min()), n)

    def repeated_chars(self, n: int) -> int:
        """Characters of words inside any n-gram that occurred before (each word counted once)."""
        if self._no_repeats_from is not None and n >= self._no_repeats_from:
            return 0
        hashes = self.hashes(n)
        if len(hashes) < 2:
            return 0
        repeated = np.ones(len(hashes), dtype=bool)
        repeated[np.unique(hashes, return_index=True)[1]] = False
        starts = np.flatnonzero(repeated)
        if len(starts) == 0:
            self._no_repeats_from = n
            return 0
        size = len(self.lengths) + 1
        depth = np.cumsum(
            np.bincount(starts, minlength=size) - np.bincount(starts + n, minlength=size)
        )
        covered = depth[:-1] > 0
        return int(self.lengths[covered].sum()) + int(np.count_nonzero(covered[1:] & covered[:-1]))


def _ellipses(text: str) -> int:
    """Ellipses: "…" and runs of exactly three dots. Counting runs of three or more and keeping
    those of three is 15x faster than a lookbehind regex, tried at every character."""
    runs = _DOT_RUN.finditer(text)
    return text.count("…") + sum(1 for run in runs if run.end() - run.start() == 3)


def _duplicates(items: Iterator[str]) -> tuple[int, int, int]:
    """Items seen before, their characters, and all items."""
    seen: set[str] = set()
    count = chars = total = 0
    for item in items:
        total += 1
        if item in seen:
            count += 1
            chars += len(item)
        else:
            seen.add(item)
    return count, chars, total


def _duplicated(
    kind: str, parts: list[str], length: int, max_fraction: float, max_chars: float
) -> Rejection | None:
    """Gopher's two limits on repeated paragraphs or lines: their share of all such parts (with
    a letter) and of the text's characters."""
    count, chars, total = _duplicates(p for part in parts if _LETTER.search(p := part.strip()))
    return _limit(f"duplicate-{kind}s", ratio(count, total), max_fraction) or _limit(
        f"duplicate-{kind}-chars", ratio(chars, length), max_chars
    )


def _limit(reason: str, value: float, limit: float | None) -> Rejection | None:
    """A rejection if `value` exceeds `limit`; None or 0 switch a rule off (as in datatrove)."""
    if not limit or value <= limit:
        return None
    return Rejection(f"gopher-repetition:{reason}", f"{value:.3f} > {limit}")


def _reject(reason: str, value: float, op: str, limit: float) -> Rejection:
    shown = f"{value:.3f}" if isinstance(value, float) else str(value)
    return Rejection(f"gopher-quality:{reason}", f"{shown} {op} {limit}")
