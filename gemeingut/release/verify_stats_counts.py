"""The count tables of the curation's statistics, counted again in the bundle's shards.

`training-data/stats.json` (and the lineage's copy of it, which the card and the AI Act
documents are written from) states how many documents, characters and bytes were kept per
split, licence and source, and what was excluded per reason, licence and source. The kept
documents are the shards' rows (`training-data/train-*`, `validation-*`, `test-data/test-*`:
their `text`, `license` and `source` columns), the excluded ones the rows of
`training-data/excluded/exclusions.parquet`; an edited count, with the MANIFEST re-hashed, is
named by its table, row and field. The shards keep no language, so the language tables are
checked only to add up to the documents kept. Only files the MANIFEST lists are read.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from gemeingut.data.accounting import BYTES_PER_TOKEN_ESTIMATE, MISSING
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.parquet_records import parquet_batches
from gemeingut.release.layout import (
    TEST_DATA,
    TEST_SHARDS,
    TRAINING_DATA,
    TRAINING_METADATA,
    listed_shards,
)

STATS = f"{TRAINING_DATA}/stats.json"
EXCLUSIONS = f"{TRAINING_DATA}/excluded/exclusions.parquet"
_LINEAGE = f"{TRAINING_METADATA}/lineage.json"
_SHARDS = {  # split -> (folder, file name pattern)
    "train": (TRAINING_DATA, "train-*.parquet"),
    "validation": (TRAINING_DATA, "validation-*.parquet"),
    "test": (TEST_DATA, TEST_SHARDS),
}
_VOLUME = ("documents", "characters", "bytes", "estimated_tokens")
_KEPT_COLUMNS = ["text", "license", "source"]
_ROWS = 8192  # rows per batch that pyarrow groups at once
Volume = dict[str, int]


@dataclass
class Counted:
    """What the shards hold, as the curation's `KeptCounts` and `run_stats` count it."""

    splits: dict[str, Volume] = field(default_factory=dict)
    by_license: dict[str, Volume] = field(default_factory=dict)
    by_source: dict[str, Volume] = field(default_factory=dict)
    excluded_by: dict[str, Counter[str]] = field(default_factory=dict)
    excluded_characters: Counter[str] = field(default_factory=Counter)
    excluded: int | None = None  # None: the bundle has no exclusions.parquet


def stats_count_problems(bundle: Path, listed: dict[str, str]) -> list[Message]:
    """Every count of `stats.json` and of the lineage's dataset stats that the shards do not
    give; nothing where the bundle has no training shards (nothing to count them from)."""
    shards = {split: listed_shards(listed, *where) for split, where in _SHARDS.items()}
    if not shards["train"]:
        return []
    counted = _count(bundle, shards, EXCLUSIONS in listed)
    sources = {
        "kept": ", ".join(
            f"{folder}/{pattern}" for split, (folder, pattern) in _SHARDS.items() if shards[split]
        ),
        "excluded": EXCLUSIONS,
    }
    problems = []
    if STATS in listed:
        problems += _table_problems(STATS, _object(bundle / STATS, STATS), counted, sources)
    if _LINEAGE in listed:
        lineage = _object(bundle / _LINEAGE, _LINEAGE)
        stats = (lineage.get("dataset") or {}).get("stats")
        if isinstance(stats, dict):
            file = f"{_LINEAGE} (dataset.stats)"
            problems += _table_problems(file, stats, counted, sources)
    return problems


def _count(bundle: Path, shards: dict[str, list[str]], exclusions: bool) -> Counted:
    counted = Counted()
    for split, files in shards.items():
        totals = counted.splits.setdefault(split, _volume())
        for rel in files:
            for batch in parquet_batches(bundle / rel, rel, _KEPT_COLUMNS, batch_size=_ROWS):
                _add(counted, totals, batch)
    if exclusions:
        columns = ["reason", "license", "source", "characters"]
        counted.excluded = 0
        for name in ("reason", "license", "source"):
            counted.excluded_by[name] = Counter()
        for batch in parquet_batches(bundle / EXCLUSIONS, EXCLUSIONS, columns):
            rows = batch.to_pylist()
            counted.excluded += len(rows)
            for row in rows:
                counted.excluded_by["reason"][row["reason"]] += 1
                counted.excluded_by["license"][row["license"] or MISSING] += 1
                counted.excluded_by["source"][row["source"]] += 1
                counted.excluded_characters[row["reason"]] += row["characters"] or 0
    return counted


def _add(counted: Counted, split: Volume, batch: pa.RecordBatch) -> None:
    """One batch of a shard's rows into its split's totals and those per licence and source
    (grouped by pyarrow: a corpus's millions of rows are not looped over in Python)."""
    texts, licences = batch.column(0), pc.fill_null(batch.column(1), MISSING)
    sizes = pa.table(
        {
            "license": pc.if_else(pc.equal(licences, ""), MISSING, licences),
            "source": batch.column(2),
            "characters": pc.utf8_length(texts),
            "bytes": pc.binary_length(texts),
        }
    )
    _grow(split, batch.num_rows, pc.sum(sizes["characters"]), pc.sum(sizes["bytes"]))
    for key, volumes in (("license", counted.by_license), ("source", counted.by_source)):
        grouped = sizes.group_by(key).aggregate(
            [("characters", "sum"), ("bytes", "sum"), ([], "count_all")]
        )
        for row in grouped.to_pylist():
            volume = volumes.setdefault(row[key], _volume())
            _grow(volume, row["count_all"], row["characters_sum"], row["bytes_sum"])


def _grow(volume: Volume, documents: int, characters: Any, size: Any) -> None:
    """Add to `volume`; its estimated tokens as the curation estimates them, from its bytes."""
    volume["documents"] += documents
    volume["characters"] += _int(characters)
    volume["bytes"] += _int(size)
    volume["estimated_tokens"] = volume["bytes"] // BYTES_PER_TOKEN_ESTIMATE


def _int(value: Any) -> int:
    """A sum as pyarrow gives it (a scalar, None for no rows) as a Python int."""
    value = value.as_py() if isinstance(value, pa.Scalar) else value
    return int(value or 0)


def _table_problems(
    file: str, stats: dict[str, Any], counted: Counted, sources: dict[str, str]
) -> list[Message]:
    kept_source = sources["kept"]
    kept = sum(volume["documents"] for volume in counted.splits.values())
    volume = stats.get("kept_volume") or {}
    problems = [
        *_scalar(file, "kept", stats.get("kept"), kept, kept_source),
        *_volume_table(file, "splits", stats.get("splits"), counted.splits, kept_source),
        *_counts_table(
            file, "kept_by_license", stats.get("kept_by_license"),
            _documents(counted.by_license), kept_source,
        ),
        *_counts_table(
            file, "kept_by_source", stats.get("kept_by_source"),
            _documents(counted.by_source), kept_source,
        ),
        *_volume_table(
            file, "kept_volume.by_license", volume.get("by_license"), counted.by_license,
            kept_source,
        ),
        *_volume_table(
            file, "kept_volume.by_source", volume.get("by_source"), counted.by_source,
            kept_source,
        ),
        *_language_totals(file, stats, counted, kept_source),
    ]  # fmt: skip
    if counted.excluded is None:  # no exclusions.parquet in the bundle: nothing to count
        return problems
    source = sources["excluded"]
    problems += _scalar(file, "excluded", stats.get("excluded"), counted.excluded, source)
    problems += _scalar(
        file, "documents_in", stats.get("documents_in"), kept + counted.excluded,
        f"{kept_source}, {source}",
    )  # fmt: skip
    for name, found in counted.excluded_by.items():
        table = f"excluded_by_{name}"
        problems += _counts_table(file, table, stats.get(table), dict(found), source)
    table = "excluded_characters_by_reason"
    problems += _counts_table(
        file, table, stats.get(table), dict(counted.excluded_characters), source
    )
    return problems


def _language_totals(
    file: str, stats: dict[str, Any], counted: Counted, source: str
) -> list[Message]:
    """The language tables' rows cannot be counted again (the shards keep no language): their
    sums must still be the documents, characters and bytes kept."""
    kept = {
        key: sum(volume[key] for volume in counted.splits.values())
        for key in ("documents", "characters", "bytes")
    }
    sums: list[tuple[str, str, int]] = []
    documents = stats.get("kept_by_language")
    if isinstance(documents, dict):
        sums.append(("kept_by_language", "documents", sum(documents.values())))
    volumes = (stats.get("kept_volume") or {}).get("by_language")
    if isinstance(volumes, dict):
        sums += [
            ("kept_volume.by_language", key, sum(row.get(key, 0) for row in volumes.values()))
            for key in kept
        ]
    return [
        _(
            "{file}: table {table}, field {field}: its rows add up to {found}; counted in "
            "{source}: {expected}",
            file=file,
            table=table,
            field=key,
            found=str(found),
            source=source,
            expected=str(kept[key]),
        )
        for table, key, found in sums
        if found != kept[key]
    ]


def _scalar(file: str, key: str, found: Any, expected: int, source: str) -> list[Message]:
    if found == expected:
        return []
    return [
        _(
            "{file}: {field} is {found}; counted in {source}: {expected}",
            file=file,
            field=key,
            found=str(found),
            source=source,
            expected=str(expected),
        )
    ]


def _counts_table(
    file: str, table: str, stated: Any, found: dict[str, int], source: str
) -> list[Message]:
    """A table of one count per row (documents, or characters by reason)."""
    stated = stated if isinstance(stated, dict) else {}
    problems = []
    for row in _rows(stated, found):
        if row not in stated:
            problems.append(_lacks(file, table, row, str(found[row]), source))
        else:
            problems += _row(file, table, row, None, stated[row], found.get(row, 0), source)
    return problems


def _volume_table(
    file: str, table: str, stated: Any, found: dict[str, Volume], source: str
) -> list[Message]:
    """A table of documents, characters, bytes and estimated tokens per row."""
    stated = stated if isinstance(stated, dict) else {}
    problems = []
    for row in _rows(stated, found):
        counted = found.get(row, _volume())
        if not isinstance(stated.get(row), dict):
            said = ", ".join(f"{key} {counted[key]}" for key in _VOLUME)
            problems.append(_lacks(file, table, row, said, source))
            continue
        for key in _VOLUME:
            problems += _row(file, table, row, key, stated[row].get(key), counted[key], source)
    return problems


def _row(
    file: str, table: str, row: str, key: str | None, found: Any, expected: int, source: str
) -> list[Message]:
    if found == expected:
        return []
    named = {
        "file": file,
        "table": table,
        "row": row,
        "found": str(found),
        "source": source,
        "expected": str(expected),
    }
    if key is None:
        return [
            _(
                "{file}: table {table}, row {row!r} is {found}; counted in {source}: {expected}",
                **named,
            )
        ]
    return [
        _(
            "{file}: table {table}, row {row!r}, field {field} is {found}; counted in {source}: "
            "{expected}",
            field=key,
            **named,
        )
    ]


def _lacks(file: str, table: str, row: str, expected: str, source: str) -> Message:
    return _(
        "{file}: table {table} lacks the row {row!r}; counted in {source}: {expected}",
        file=file,
        table=table,
        row=row,
        source=source,
        expected=expected,
    )


def _rows(stated: dict[str, Any], found: dict[str, Any]) -> Iterable[str]:
    return sorted(set(stated) | set(found))


def _documents(volumes: dict[str, Volume]) -> dict[str, int]:
    return {key: volume["documents"] for key, volume in volumes.items()}


def _volume() -> Volume:
    return dict.fromkeys(_VOLUME, 0)


def _object(path: Path, file: str) -> dict[str, Any]:
    value = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(value, dict):
        raise InputError(_("{file} is not a JSON object", file=file))
    return value
