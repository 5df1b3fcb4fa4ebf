"""Near-duplicate removal with MinHash LSH over lower-cased word 5-gram shingles.

The signature is computed per document where the work runs in parallel (phase 1, `Fingerprints`);
the LSH index is global and sequential (`NearDedup`, phase 2): first one wins, a document that
shares an LSH band with an already kept one is excluded and counted in that document's cluster.
Laws and administrative texts come in many versions; this keeps one of each.

Signatures and band layout are those of datasketch 2's `MinHash` (scheme "affine32", crc32
shingle hashes, seed 1) and `MinHashLSH`, computed here with numpy alone: datasketch pulls in
scipy (tens of MiB in every worker) and builds a Python object per document.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from gemeingut.data.documents import ExclusionSink, Record
from gemeingut.data.ngrams import Words
from gemeingut.errors import RecipeError
from gemeingut.i18n import _

_EMPTY = np.uint32(0xFFFFFFFF)
_CHUNK = 1024  # shingles per step: the (num_perm x chunk) block stays in the CPU cache


def shingles(text: str, n: int) -> set[bytes]:
    """Lower-cased word n-grams; a text shorter than n words is one shingle (for reading)."""
    words = Words.of(text)
    if len(words) < n:
        return {words.joined}
    spans = zip(
        words.starts[: len(words) - n + 1].tolist(), words.ends[n - 1 :].tolist(), strict=True
    )
    return {words.joined[start:end] for start, end in spans}


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser: spreads crc32 values before the affine permutations."""
    values = values ^ (values >> np.uint32(16))
    values *= np.uint32(0x85EBCA6B)
    values ^= values >> np.uint32(13)
    values *= np.uint32(0xC2B2AE35)
    values ^= values >> np.uint32(16)
    return values


@dataclass(frozen=True)
class MinHasher:
    """Signatures with one fixed set of permutations, so they compare across processes."""

    ngram: int = 5
    num_perm: int = 128
    seed: int = 1

    @property
    def permutations(self) -> tuple[np.ndarray, np.ndarray]:
        return _permutations(self.num_perm, self.seed)

    def signature(self, text: str) -> np.ndarray:
        return self.signature_of(Words.of(text))

    def signature_of(self, words: Words) -> np.ndarray:
        """The minimum of every permutation over the shingles' hashes (uint32, num_perm)."""
        a, b = self.permutations
        hashes = _fmix32(words.shingle_crcs(self.ngram))
        signature = np.full(self.num_perm, _EMPTY, dtype=np.uint32)
        for start in range(0, len(hashes), _CHUNK):
            chunk = hashes[None, start : start + _CHUNK]
            np.minimum(signature, (a[:, None] * chunk + b[:, None]).min(axis=1), out=signature)
        return signature

    @staticmethod
    def jaccard(first: np.ndarray, second: np.ndarray) -> float:
        """Estimated Jaccard similarity: the share of permutations with the same minimum."""
        return float(np.count_nonzero(first == second)) / len(first)


@cache
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 parameters: odd multipliers a, offsets b, from `RandomState(seed)`."""
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


@cache
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands x rows that minimise false positives plus false negatives, as datasketch picks them.

    Both error integrals are over polynomials of degree at most num_perm, so Gauss-Legendre
    quadrature with num_perm // 2 + 1 nodes is exact (datasketch uses scipy's `quad`)."""
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)
    below = threshold / 2 * nodes + threshold / 2  # nodes on [0, threshold]
    above = (1 - threshold) / 2 * nodes + (1 + threshold) / 2  # nodes on [threshold, 1]
    best, choice = float("inf"), (0, 0)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            b, r = float(bands), float(rows)
            false_pos = threshold / 2 * np.dot(weights, 1 - (1 - below**r) ** b)
            false_neg = (1 - threshold) / 2 * np.dot(weights, 1 - (1 - (1 - above**r) ** b))
            error = false_pos * 0.5 + false_neg * 0.5
            if error < best:
                best, choice = error, (bands, rows)
    return choice


@dataclass
class NearDedup:
    """Phase-2 block over records: keep the first of every group of near copies.

    Every LSH bucket holds at most one kept document (a later one that lands in it is excluded),
    so one dict per band from band bytes to the kept id is the whole index."""

    threshold: float = 0.8
    hasher: MinHasher = field(default_factory=MinHasher)
    name: str = "near_dedup"
    bands: int = field(init=False)
    rows: int = field(init=False)
    _buckets: list[dict[bytes, str]] = field(init=False, repr=False)
    _cluster_size: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.bands, self.rows = lsh_params(self.threshold, self.hasher.num_perm)
        if self.bands < 2:
            raise RecipeError(
                _(
                    "data.near_dedup_threshold = {threshold} is so high that MinHash LSH with "
                    "{permutations} permutations has fewer than 2 bands",
                    threshold=str(self.threshold),
                    permutations=str(self.hasher.num_perm),
                ),
                _("use a threshold of 0.98 or less, or turn near_dedup off"),
            )
        self._buckets = [{} for _ in range(self.bands)]

    def run(self, records: Iterator[Record], exclude: ExclusionSink) -> Iterator[Record]:
        width = self.rows * 4  # bytes of one band of a uint32 signature
        for record in records:
            if record.minhash is None:
                raise ValueError(f"document {record.id} has no MinHash signature")
            keys = [record.minhash[i * width : (i + 1) * width] for i in range(self.bands)]
            matches = {
                table[key] for table, key in zip(self._buckets, keys, strict=True) if key in table
            }
            if matches:
                kept = min(matches)  # deterministic choice when several kept documents match
                self._cluster_size[kept] += 1
                exclude(record.exclusion("near-duplicate", f"near copy of {kept}"))
                continue
            for table, key in zip(self._buckets, keys, strict=True):
                table[key] = record.id
            record.minhash = None  # indexed: the signature is not needed again (memory)
            yield record

    def stats(self) -> dict[str, Any]:
        """Cluster sizes (kept document + its near copies) as a histogram, plus the largest."""
        sizes = Counter(count + 1 for count in self._cluster_size.values())
        largest = self._cluster_size.most_common(5)
        return {
            "threshold": self.threshold,
            "ngram": self.hasher.ngram,
            "clusters_with_duplicates": len(self._cluster_size),
            "cluster_size_histogram": {str(k): v for k, v in sorted(sizes.items())},
            "largest_clusters": [{"kept": doc_id, "size": n + 1} for doc_id, n in largest],
        }
