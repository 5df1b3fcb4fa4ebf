"""A split's documents tokenized once into a flat file that training memory-maps.

Holding a corpus as tensors costs every training process the whole corpus in RAM (and under
torchrun every rank tokenized it again). Here the leader tokenizes each split once, streaming
(a batch of documents at a time, so memory stays flat), into `<split>.tokens`: each document's
ids and then EOS, as uint16 when the vocabulary fits, else uint32. `<split>.docs.npz` holds each
document's start offset, shard and row, for the windows' origin. `<split>.json` is written last
and marks the split complete, so a run killed while tokenizing starts that split again.
Every process then maps the same file: the operating system keeps one copy in its page cache.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from transformers import PreTrainedTokenizerBase

from gemeingut.data.shards import split_files
from gemeingut.workspace import write_json_atomic

TOKEN_DIR = "tokens"
_ENCODE_BATCH = 256


@dataclass(frozen=True)
class TokenFile:
    """One split's token stream (memory-mapped) and where each document starts and lives."""

    stream: np.ndarray  # uint16/uint32: the documents' ids, each followed by EOS
    doc_starts: np.ndarray  # int64 offset of each document in the stream
    doc_shard: np.ndarray  # int32 index into `shards`
    doc_row: np.ndarray  # int64 row in its shard
    shards: list[str]


def tokenize_split(
    dataset_dir: Path, split: str, tokenizer: PreTrainedTokenizerBase, folder: Path
) -> None:
    """Write the split's token file into `folder` unless a complete one is there."""
    if (folder / f"{split}.json").is_file():
        return
    folder.mkdir(parents=True, exist_ok=True)
    files = split_files(dataset_dir, split)
    dtype = token_dtype(tokenizer)
    eos = tokenizer.eos_token_id
    lengths: list[int] = []
    shard_of: list[int] = []
    row_of: list[int] = []
    texts: list[str] = []
    tmp = folder / f".{split}.tokens.tmp"
    with tmp.open("wb") as out:

        def encode() -> None:
            for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]:
                out.write(np.array([*ids, eos], dtype=dtype).tobytes())
                lengths.append(len(ids) + 1)
            texts.clear()

        for shard_index, row, text in _rows(files):
            texts.append(text)
            shard_of.append(shard_index)
            row_of.append(row)
            if len(texts) == _ENCODE_BATCH:
                encode()
        if texts:
            encode()
        out.flush()
        os.fsync(out.fileno())  # on disk before the metadata that vouches for it
    os.replace(tmp, folder / f"{split}.tokens")
    starts = np.concatenate([[0], np.cumsum(lengths[:-1], dtype=np.int64)]).astype(np.int64)
    docs_tmp = folder / f".{split}.docs.tmp.npz"
    np.savez(
        docs_tmp,
        starts=starts[: len(lengths)],
        shard=np.array(shard_of, dtype=np.int32),
        row=np.array(row_of, dtype=np.int64),
    )
    os.replace(docs_tmp, folder / f"{split}.docs.npz")
    meta = {
        "dtype": np.dtype(dtype).name,
        "tokens": int(sum(lengths)),
        "documents": len(lengths),
        "shards": [f.name for f in files],
    }
    write_json_atomic(folder / f"{split}.json", meta)


def token_dtype(tokenizer: PreTrainedTokenizerBase) -> type[np.unsignedinteger]:
    """uint16 when every id fits (half the disk and page cache), else uint32."""
    return np.uint16 if len(tokenizer) <= np.iinfo(np.uint16).max + 1 else np.uint32


def open_split(folder: Path, split: str) -> TokenFile:
    """Map a split written by `tokenize_split`."""
    meta = json.loads((folder / f"{split}.json").read_text(encoding="utf-8"))
    path = folder / f"{split}.tokens"
    dtype = np.dtype(meta["dtype"])
    if meta["tokens"]:
        stream = np.memmap(path, dtype=dtype, mode="r", shape=(meta["tokens"],))
    else:  # numpy refuses to map an empty file
        stream = np.empty(0, dtype=dtype)
    with np.load(folder / f"{split}.docs.npz") as docs:
        return TokenFile(stream, docs["starts"], docs["shard"], docs["row"], meta["shards"])


def _rows(files: list[Path]) -> Iterator[tuple[int, int, str]]:
    for shard_index, file in enumerate(files):
        row = 0
        for batch in pq.ParquetFile(file).iter_batches(columns=["text"], batch_size=1024):
            for text in batch.column(0).to_pylist():
                yield shard_index, row, text
                row += 1
