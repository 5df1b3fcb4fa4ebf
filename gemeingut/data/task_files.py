"""What one phase-1 task leaves on disk, and how the sequential phase reads it back in parts.

One Parquet file per task holds the documents it kept, with their sizes and fingerprints. The
format is columnar, so phase 2 reads only what each step needs: the small columns of every task
for de-duplication and the split, the n-gram hashes one task at a time for the contamination
check, and the texts one task at a time while it writes the shards. The corpus is never in
memory at once.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from gemeingut.data.documents import DOCUMENT_COLUMNS, Document, Record

_TEXT_COLUMNS = (*DOCUMENT_COLUMNS, "location", "language")
_HASH_COLUMNS = ("dedup_key", "minhash", "ngrams")
SCHEMA = pa.schema(
    [(c, pa.string()) for c in _TEXT_COLUMNS]
    + [("n_chars", pa.int64()), ("n_bytes", pa.int64())]
    + [(c, pa.binary()) for c in _HASH_COLUMNS]
)
_DOCS_PER_WRITE = 64
_ROWS_PER_READ = 2048
_RECORD_COLUMNS = (
    "id",
    "source",
    "license",
    "language",
    "location",
    "n_chars",
    "n_bytes",
    "dedup_key",
    "minhash",
)


def write_documents(path: Path, docs: Iterable[Document]) -> int:
    """Write one task's kept documents with their fingerprints as they arrive, a few at a time
    (the task's texts are never all in memory), under a temporary name; return how many."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    count = 0
    batch: list[Document] = []
    with pq.ParquetWriter(tmp, SCHEMA, compression="zstd") as writer:
        for doc in docs:
            batch.append(doc)
            if len(batch) == _DOCS_PER_WRITE:
                writer.write_table(_table(batch))
                count, batch = count + len(batch), []
        if batch:
            writer.write_table(_table(batch))
            count += len(batch)
    os.replace(tmp, path)
    return count


def _table(docs: list[Document]) -> pa.Table:
    columns: dict[str, list] = {c: [getattr(d, c) for d in docs] for c in _TEXT_COLUMNS}
    columns["n_chars"] = [len(d.text) for d in docs]
    columns["n_bytes"] = [len(d.text.encode("utf-8")) for d in docs]
    columns.update({c: [getattr(d, c) for d in docs] for c in _HASH_COLUMNS})
    return pa.Table.from_pydict(columns, schema=SCHEMA)


def read_records(path: Path, task: int) -> list[Record]:
    """Every document of a task file, without text and n-gram hashes."""
    rows = pq.read_table(path, columns=list(_RECORD_COLUMNS)).to_pylist()
    return [Record(**row, task=task, row=i) for i, row in enumerate(rows)]


def read_ngrams(path: Path, rows: list[int]) -> Iterator[tuple[int, np.ndarray]]:
    """(row, n-gram hashes) of the given rows of a task file, in row order."""
    for selected, table in read_rows(path, rows, ["ngrams"]):
        values = table.column("ngrams").to_pylist()
        for row, value in zip(selected, values, strict=True):
            yield row, np.frombuffer(value, dtype=np.uint32)


def read_rows(
    path: Path, rows: list[int], columns: list[str]
) -> Iterator[tuple[list[int], pa.Table]]:
    """The given rows of a task file (any order in, row order out), `_ROWS_PER_READ` at a time: a
    task of a whole compressed source can hold gigabytes of text, never all in memory."""
    wanted = sorted(rows)
    if not wanted:  # nothing kept: do not read (and decompress) even one batch of texts
        return
    start = first = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=_ROWS_PER_READ, columns=columns):
        end = start + batch.num_rows
        last = bisect.bisect_left(wanted, end, lo=first)
        if last > first:
            local = pa.array([row - start for row in wanted[first:last]], type=pa.int64())
            yield wanted[first:last], pa.Table.from_batches([batch]).take(local)
        first, start = last, end
        if first == len(wanted):
            return


def write_atomic(path: Path, table: pa.Table) -> None:
    """Write under a temporary name and rename, so a killed run never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)
