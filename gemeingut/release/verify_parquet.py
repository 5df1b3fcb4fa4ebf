"""The bundle's Parquet files that no other check reads (the data order's windows table, the
curation's exclusions): each read whole, so that one damaged after its MANIFEST line was
re-hashed is named as a damaged shard is; and the windows table against the number of windows
`training.json` says the run packed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq

from gemeingut.i18n import Message, _
from gemeingut.parquet_records import PARQUET_ERRORS, damaged_parquet
from gemeingut.release.verify_numbers import TRAINING

# the training and test shards: the licence, count and corpus checks read them already
_SHARDS = re.compile(r"(?:training-data|test-data)/[^/]+\.parquet")


def parquet_problems(bundle: Path, listed: dict[str, str]) -> list[Message]:
    """A problem for each listed Parquet file (not a shard) that does not read, and for a
    windows table whose rows are not the windows the training record counts."""
    windows_file, windows = _recorded_windows(bundle)
    problems: list[Message] = []
    for file in sorted(f for f in listed if f.endswith(".parquet") and not _SHARDS.fullmatch(f)):
        try:
            rows = pq.ParquetFile(bundle / file).read().num_rows
        except PARQUET_ERRORS:
            problems.append(damaged_parquet(file))
            continue
        if file == windows_file and windows is not None and rows != windows:
            problems.append(
                _(
                    "{file} holds {rows} windows, but {record} says the run packed {windows} "
                    "(data_order.train_windows); obtain an unmodified copy",
                    file=file,
                    rows=str(rows),
                    record=TRAINING,
                    windows=str(windows),
                )
            )
    return problems


def _recorded_windows(bundle: Path) -> tuple[str | None, int | None]:
    """The windows table's path in the bundle and how many windows the run packed, as the
    training record says (None where it says nothing: the training check names that)."""
    try:
        record = json.loads((bundle / TRAINING).read_text(encoding="utf-8"))
        order = record.get("data_order") or {}
        windows_file, windows = order.get("windows_file"), order.get("train_windows")
    except (OSError, ValueError, AttributeError):
        return None, None
    if not isinstance(windows_file, str) or not isinstance(windows, int):
        return None, None
    return f"{Path(TRAINING).parent.as_posix()}/{windows_file}", windows
