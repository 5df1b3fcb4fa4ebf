"""The last phase-1 block: everything the sequential phase needs to know about a text, as hashes.

Exact dedup, near dedup and the contamination check compare documents with each other, so their
decisions are sequential; the per-document work behind them (normalised-text key, MinHash
signature, 13-gram hashes) is not, and runs here, in parallel, over one shared tokenisation.
Phase 2 then decides from a few bytes per document and never needs the texts.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from gemeingut.data.documents import Document, ExclusionSink
from gemeingut.data.near_dedup import MinHasher
from gemeingut.data.ngrams import Words, sorted_unique


def dedup_key(text: str) -> bytes:
    r"""Texts that differ only in case, Unicode form or whitespace share a key.

    `str.split()` splits at runs of exactly the characters that `re`'s `\s` matches (both ask
    `Py_UNICODE_ISSPACE`) and drops them at both ends: the key of `re.sub(r"\s+", " ", t).strip()`
    at less than half the cost."""
    normalised = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.blake2b(normalised.encode("utf-8"), digest_size=16).digest()


@dataclass
class Fingerprints:
    """Attach the exact-dedup key, the MinHash signature (when near-dedup is on) and the sorted
    unique hashes of the word n-grams that the contamination check compares."""

    ngram: int = 13
    hasher: MinHasher | None = None
    name: str = "fingerprints"

    def run(self, docs: Iterator[Document], exclude: ExclusionSink) -> Iterator[Document]:
        for doc in docs:
            words = Words.of(doc.text)
            doc.dedup_key = dedup_key(doc.text)
            if self.hasher is not None:
                doc.minhash = self.hasher.signature_of(words).tobytes()
            doc.ngrams = sorted_unique(words.ngram_crcs(self.ngram)).tobytes()
            yield doc
