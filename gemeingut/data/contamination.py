"""Test-set contamination: how much of each test document's word n-grams occur in training.

Hashes of word 13-grams (GPT-3's contamination unit) are computed per document in the parallel
phase (`Fingerprints`); the check itself needs all training n-grams first, so it runs once the
training split is known. A test document at or above the threshold is removed (by default) and
every test document's overlap is reported as a histogram.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gemeingut.data.ngrams import sorted_unique


@dataclass
class ContaminationCheck:
    """Training hashes go in first (`add_train`), then each test document is judged."""

    n: int = 13
    threshold: float = 0.5
    remove: bool = True
    _train_parts: list[np.ndarray] = field(default_factory=list)
    _train: np.ndarray | None = None
    _buckets: Counter[str] = field(default_factory=Counter)
    _removed: int = 0

    def add_train(self, hashes: np.ndarray) -> None:
        """Hashes of training documents, in any grouping (one document or a whole task)."""
        if self._train is not None:
            raise RuntimeError("training n-grams added after the first test document")
        self._train_parts.append(hashes)

    def overlap(self, hashes: np.ndarray) -> float:
        """Fraction of a test document's (unique) n-grams found in training; 0 if it has none."""
        if self._train is None:
            parts, self._train_parts = self._train_parts, []
            everything = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint32)
            del parts
            self._train = sorted_unique(everything)
        if len(hashes) == 0 or len(self._train) == 0:
            return 0.0
        # Binary search in the sorted training hashes: np.isin re-sorts them on every call.
        positions = np.searchsorted(self._train, hashes).clip(max=len(self._train) - 1)
        return float((self._train[positions] == hashes).mean())

    def is_contaminated(self, hashes: np.ndarray) -> tuple[bool, float]:
        fraction = self.overlap(hashes)
        self._buckets[_bucket(fraction)] += 1
        contaminated = self.remove and fraction >= self.threshold
        self._removed += contaminated
        return contaminated, fraction

    def release(self) -> None:
        """Drop the training hashes (tens of MiB) once every test document has been judged."""
        self._train, self._train_parts = np.empty(0, dtype=np.uint32), []

    def stats(self) -> dict[str, Any]:
        return {
            "ngram": self.n,
            "threshold": self.threshold,
            "test_documents_checked": sum(self._buckets.values()),
            "test_documents_removed": self._removed,
            "overlap_histogram": dict(sorted(self._buckets.items())),
        }


def _bucket(fraction: float) -> str:
    if fraction == 0:
        return "0%"
    low = min(int(fraction * 10), 9) * 10
    return f"{low:02d}-{low + 10}%"
