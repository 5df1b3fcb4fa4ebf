"""The size of the pretraining corpus, counted in the bundle's own training shards.

The AI Act summary states the training data's size as the Commission's template asks: tokens
of the corpus (not tokens seen, which depend on the steps), documents and bytes. The tokens are
those pretraining packs: each document of `training-data/train-*.parquet` encoded with the
bundle's `model/tokenizer.json` without special tokens and followed by EOS. Pretraining cuts
that stream into windows of `seq_len` tokens, so `verify` checks the windows `training.json`
records against the count (`corpus_problems`). No torch: `tokenizers` reads the tokenizer, as
`verify_numbers.py` counts the test tokens.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyarrow.compute as pc

from gemeingut.i18n import Message, _
from gemeingut.parquet_records import parquet_batches
from gemeingut.release.bundle_tokenizer import TOKENIZER, bundle_tokenizer, packed_tokens
from gemeingut.release.layout import TRAINING_DATA
from gemeingut.release.verify_numbers import TRAINING, mismatch

TRAIN_SHARDS = f"{TRAINING_DATA}/train-*.parquet"
_RUN_BYTES = 4 << 20  # of text encoded at once


@dataclass(frozen=True)
class CorpusSize:
    documents: int
    bytes: int  # of the documents' text in UTF-8
    tokens: int | None  # None where the bundle has no tokenizer.json to count them with


def training_corpus(bundle: Path) -> CorpusSize | None:
    """The training split's size; None where the bundle has no training shards."""
    shards = sorted((bundle / TRAINING_DATA).glob("train-*.parquet"))
    if not shards:
        return None
    tokenizer = bundle / TOKENIZER
    # the same files are counted once per process (verify renders two documents from them)
    stamp = _stamped([tokenizer])[0] if tokenizer.is_file() else None
    return _counted(str(bundle), _stamped(shards), stamp)


def corpus_problems(bundle: Path) -> list[Message]:
    """`training.json`'s train windows against the corpus: (tokens − 1) // seq_len, the
    windows of `seq_len` + 1 tokens that `packing.windows` cuts from the stream."""
    record_path = bundle / TRAINING
    if not record_path.is_file():
        return []
    record = json.loads(record_path.read_text(encoding="utf-8"))
    size = training_corpus(bundle)
    if size is None or size.tokens is None:
        return []
    seq_len = int(record["training"]["seq_len"])
    windows = max(0, (size.tokens - 1) // seq_len)
    recorded = (
        ("stats.train_windows", record["stats"].get("train_windows")),
        ("data_order.train_windows", (record.get("data_order") or {}).get("train_windows")),
    )
    how = _(
        "{tokens} tokens of {shards} counted with {tokenizer}, in windows of {seq_len}",
        tokens=str(size.tokens),
        shards=TRAIN_SHARDS,
        tokenizer=TOKENIZER,
        seq_len=str(seq_len),
    )
    return [
        mismatch(TRAINING, key, value, windows, how)
        for key, value in recorded
        if value is not None and value != windows
    ]


def _stamped(paths: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """Each file with its size and modification time: a file changed is counted again."""
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in paths)


@lru_cache(maxsize=4)
def _counted(
    bundle: str, shards: tuple[tuple[str, int, int], ...], tokenizer: tuple[str, int, int] | None
) -> CorpusSize:
    encoder = bundle_tokenizer(Path(bundle)) if tokenizer is not None else None
    documents = size = tokens = 0
    for path, _size, _mtime in shards:
        for batch in parquet_batches(Path(path), f"{TRAINING_DATA}/{Path(path).name}", ["text"]):
            texts = batch.column(0)
            lengths = pc.binary_length(texts).fill_null(0).to_pylist()
            documents += len(texts)
            size += sum(lengths)
            if encoder is not None:
                for start, end in _runs(lengths):
                    tokens += packed_tokens(encoder, texts.slice(start, end - start).to_pylist())
    return CorpusSize(documents, size, tokens if encoder is not None else None)


def _runs(lengths: list[int]) -> Iterator[tuple[int, int]]:
    """Start and end of consecutive documents of about `_RUN_BYTES` together: what the
    tokenizer encodes at once on all cores, its encodings (tens of bytes a token) held only
    that long."""
    start, size = 0, 0
    for end, length in enumerate(lengths, 1):
        size += length
        if size >= _RUN_BYTES:
            yield start, end
            start, size = end, 0
    if start < len(lengths):
        yield start, len(lengths)
