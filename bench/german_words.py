"""Make the German word list that `gemeingut rag` splits compound words with.

    .venv/bin/python bench/german_words.py     # writes gemeingut/apps/rag/german_words.txt.gz

Words of the federal laws in `../shared/corpora/gesetze.parquet` (official works, free of
copyright under § 5 UrhG): lower-cased, letters only, at least 4 of them (or one of the short
nouns `SHORT_NOUNS`), not a stop word, not followed by a full stop (so "Verf." or "Aussch." are
not words), in at least `--min-laws` laws.
Each line is "word<TAB>number of laws"; the file is the same bytes for the same corpus. A new
list changes how new indexes split words: a collection indexed with the old one must be
ingested again (searching it says so).
"""

from __future__ import annotations

import argparse
import gzip
import re
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
_WORD = re.compile(r"\b([^\W\d_]{3,})\b(?!\.)")
# Nouns of three letters that German compounds are made of ("Bau-amt", "Bundes-tag",
# "Straf-tat"). Not every word of three letters: those of the laws are mostly abbreviations
# ("ewg", "din", "sgb") and endings ("ver", "her", "bar"), which would split words wrongly.
SHORT_NOUNS = frozenset({
    "amt", "art", "bad", "bau", "ehe", "eid", "eis", "fuß", "gas", "gut", "hof", "maß", "ort",
    "rad", "rat", "see", "tag", "tal", "tat", "tod", "ton", "tor", "tür", "uhr", "zug",
})  # fmt: skip


def main() -> None:
    args = parse_args()
    from bm25s.stopwords import STOPWORDS_GERMAN

    laws = pq.read_table(args.corpus, columns=["text"])["text"].to_pylist()
    counts: Counter[str] = Counter()
    for law in laws:
        words = {word.lower() for word in _WORD.findall(law)}
        counts.update(w for w in words if len(w) > 3 or w in SHORT_NOUNS)
    stop = set(STOPWORDS_GERMAN)
    kept = sorted(w for w, n in counts.items() if n >= args.min_laws and w not in stop)
    lines = "".join(f"{word}\t{counts[word]}\n" for word in kept).encode("utf-8")
    args.out.write_bytes(gzip.compress(lines, compresslevel=9, mtime=0))
    print(f"{len(kept):,} words from {len(laws):,} laws -> {args.out}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--corpus", type=Path, default=ROOT.parent / "shared" / "corpora" / "gesetze.parquet"
    )
    parser.add_argument("--min-laws", type=int, default=5)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "gemeingut" / "apps" / "rag" / "german_words.txt.gz"
    )
    args = parser.parse_args()
    if not args.corpus.is_file():  # a traceback from pyarrow would not say what to do
        parser.error(f"{args.corpus}: no such file; pass the laws' parquet with --corpus")
    return args


if __name__ == "__main__":
    main()
