"""Parquet shards of a dataset artifact: written in bounded pieces, read back by split."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from gemeingut.data.documents import DOCUMENT_COLUMNS
from gemeingut.errors import InputError
from gemeingut.i18n import _

SHARD_DIR = "shards"
# A fine-tune's copy of the curated dataset it was trained on (its train and validation shards,
# stats.json) lies in CURATED_DIR, with the dataset's artifact record (id, lineage, the hash of
# every file) as DATASET_RECORD: `reproduce` puts the dataset together again from the two.
CURATED_DIR = "curated-dataset"
DATASET_RECORD = "dataset.json"
SCHEMA = pa.schema([(column, pa.string()) for column in DOCUMENT_COLUMNS])


class ShardWriter:
    """Collects rows of one split; writes `shards/<split>-NNNNN.parquet` when it holds
    `shard_rows` documents or `shard_bytes` bytes of text, so shards (and memory) stay bounded.

    Rows arrive as Arrow tables (slices of the phase-1 task files), never as Python objects; a
    shard is written from one contiguous table, so its bytes do not depend on how its rows
    arrived."""

    def __init__(self, root: Path, split: str, shard_rows: int, shard_bytes: int) -> None:
        self.root = root / SHARD_DIR
        self.split = split
        self.shard_rows = shard_rows
        self.shard_bytes = shard_bytes
        self.parts: list[pa.Table] = []
        self.buffered_rows = 0
        self.buffered_bytes = 0
        self.shards: list[str] = []

    def add(self, table: pa.Table, text_bytes: list[int]) -> None:
        """Add rows (shard columns) and the UTF-8 size of each row's text."""
        start = 0
        for row, size in enumerate(text_bytes):
            self.buffered_rows += 1
            self.buffered_bytes += size
            if self.buffered_rows >= self.shard_rows or self.buffered_bytes >= self.shard_bytes:
                self.parts.append(table.slice(start, row + 1 - start))
                start = row + 1
                self.flush()
        if start < len(text_bytes):
            self.parts.append(table.slice(start))

    def flush(self) -> None:
        if not self.parts and self.shards:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"{self.split}-{len(self.shards):05d}.parquet"
        if self.parts:
            table = pa.concat_tables(self.parts).combine_chunks().cast(SCHEMA)
        else:  # every split gets a shard, even an empty one
            table = pa.Table.from_pylist([], schema=SCHEMA)
        self.parts = []
        pq.write_table(table, self.root / name, compression="zstd")
        self.shards.append(name)
        self.buffered_rows = 0
        self.buffered_bytes = 0


def split_files(dataset_dir: Path, split: str) -> list[Path]:
    files = sorted((dataset_dir / SHARD_DIR).glob(f"{split}-*.parquet"))
    if not files:
        raise InputError(
            _("dataset {dataset} has no {split!r} shards", dataset=str(dataset_dir), split=split),
            _("pass a dataset written by `gemeingut data curate`"),
        )
    return files


def iter_split(
    dataset_dir: Path, split: str, columns: tuple[str, ...] = ("text",)
) -> Iterator[dict]:
    """Yield the rows of one split in stored order."""
    for file in split_files(dataset_dir, split):
        for batch in pq.ParquetFile(file).iter_batches(columns=list(columns), batch_size=1024):
            yield from batch.to_pylist()


def iter_texts(dataset_dir: Path, split: str) -> Iterator[str]:
    for row in iter_split(dataset_dir, split):
        yield row["text"]
