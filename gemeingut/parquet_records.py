"""Parquet shards that may have been damaged after they were written (cut short, bytes
overwritten, a MANIFEST re-hashed so that only reading them finds it): one problem named with
the shard's path as the caller shows it, the same words from every reader (so that `verify`,
which reads a shard in several checks, names it once), never pyarrow's English message nor a
path of this machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _

# what pyarrow raises on a file that is not (or no longer) Parquet: ArrowInvalid for a footer
# or metadata it cannot parse, OSError for pages it cannot decompress or decode
PARQUET_ERRORS: tuple[type[BaseException], ...] = (pa.ArrowException, OSError)


def damaged_parquet(file: str) -> Message:
    """`file` (a path within the bundle or folder) cannot be read as Parquet."""
    return _(
        "{file} is not a readable Parquet file: it is damaged or cut short; "
        "obtain an unmodified copy",
        file=file,
    )


def parquet_batches(
    path: Path, file: str, columns: list[str], batch_size: int = 1024
) -> Iterator[pa.RecordBatch]:
    """The shard's `columns`, a batch at a time; `file` names it in the error raised for a
    damaged shard or one without those columns."""
    try:
        yield from _opened(path, file, columns).iter_batches(columns=columns, batch_size=batch_size)
    except PARQUET_ERRORS:
        raise InputError(damaged_parquet(file)) from None


def parquet_table(path: Path, file: str, columns: list[str]) -> pa.Table:
    """The shard's `columns` as one table (see `parquet_batches`)."""
    try:
        return _opened(path, file, columns).read(columns=columns)
    except PARQUET_ERRORS:
        raise InputError(damaged_parquet(file)) from None


def _opened(path: Path, file: str, columns: list[str]) -> pq.ParquetFile:
    """The shard, with `columns` among its own (pyarrow would leave a lacking one out)."""
    parquet = pq.ParquetFile(path)
    lacking = [c for c in columns if c not in parquet.schema_arrow.names]
    if lacking:
        raise InputError(
            _(
                "{file} lacks the column {column}; obtain an unmodified copy",
                file=file,
                column=lacking[0],
            )
        )
    return parquet
