"""Everything the published documents state about a dataset, read once from its directory.

The numbers come from `stats.json` (written by curate), the shard list, sizes and checksums from
the files themselves, and the licences per split from the shards' `license` column, so the
three documents cannot disagree with each other or with the data.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from gemeingut.data.publish.licenses import corpus_licence, needs_attribution
from gemeingut.data.shards import SHARD_DIR
from gemeingut.data.splits import SPLITS
from gemeingut.errors import InputError
from gemeingut.hashing import sha256_file
from gemeingut.i18n import _
from gemeingut.workspace import ARTIFACT_FILE

STATS_FILE = "stats.json"
MANIFEST_FILE = "manifest.json"
EXCLUSIONS_FILE = "exclusions.parquet"
MAX_ATTRIBUTIONS = 100  # distinct attribution texts kept per split for catalogue fields


@dataclass(frozen=True)
class DataFile:
    """A Parquet file of the dataset: a shard of one split, or the exclusion records."""

    path: str  # relative POSIX path inside the dataset, e.g. shards/train-00000.parquet
    rows: int
    bytes: int
    sha256: str  # hex digest
    split: str | None = None  # None for exclusions.parquet

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass
class SplitLicences:
    documents: Counter[str] = field(default_factory=Counter)  # licence expression -> documents
    attributions: set[str] = field(default_factory=set)  # required attribution texts (capped)
    attributions_truncated: bool = False


@dataclass(frozen=True)
class DatasetFacts:
    root: Path
    stats: dict[str, Any]
    meta: dict[str, Any]  # artifact.json; empty for a directory curate() wrote without one
    shards: tuple[DataFile, ...]
    licences: dict[str, SplitLicences]
    exclusions: DataFile | None

    @property
    def id(self) -> str | None:
        return self.meta.get("id")

    @property
    def created(self) -> str | None:
        return self.meta.get("created")

    @property
    def code(self) -> str:
        return self.meta.get("code", "gemeingut, version not recorded")

    @property
    def params(self) -> dict[str, Any]:
        return self.meta.get("params", {})

    @property
    def licence(self) -> str:
        return corpus_licence(self.stats)

    @property
    def sources(self) -> list[str]:
        names = list(self.stats.get("kept_by_source", {}))
        names += [n for n in self.stats.get("excluded_by_source", {}) if n not in names]
        return names

    def split_shards(self, split: str) -> list[DataFile]:
        return [shard for shard in self.shards if shard.split == split]

    @property
    def splits(self) -> list[str]:
        """Splits that hold at least one document, in the canonical order."""
        totals = self.stats.get("splits", {})
        return [s for s in SPLITS if totals.get(s, {}).get("documents", 0) > 0]


def read_facts(dataset_dir: Path) -> DatasetFacts:
    stats_path = dataset_dir / STATS_FILE
    if not stats_path.is_file():
        raise InputError(
            _("{dataset} has no {file}", dataset=str(dataset_dir), file=STATS_FILE),
            _("pass a dataset directory written by `gemeingut data curate`"),
        )
    stats = json.loads(stats_path.read_text(encoding="utf-8"))
    if not stats.get("kept"):
        raise InputError(
            _(
                "{dataset} holds no documents, so there is nothing to publish",
                dataset=str(dataset_dir),
            ),
            _("see its stats.json for why every document was excluded"),
        )
    meta = _read_json(dataset_dir / ARTIFACT_FILE)
    recorded = _read_json(dataset_dir / MANIFEST_FILE).get("files", {})
    shards = tuple(
        _data_file(dataset_dir, path, recorded, split)
        for split in SPLITS
        for path in sorted((dataset_dir / SHARD_DIR).glob(f"{split}-*.parquet"))
    )
    exclusions_path = dataset_dir / EXCLUSIONS_FILE
    exclusions = (
        _data_file(dataset_dir, exclusions_path, recorded) if exclusions_path.is_file() else None
    )
    licences = {split: _split_licences(dataset_dir, shards, split) for split in SPLITS}
    return DatasetFacts(dataset_dir, stats, meta, shards, licences, exclusions)


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _data_file(
    root: Path, path: Path, recorded: dict[str, str], split: str | None = None
) -> DataFile:
    rel = path.relative_to(root).as_posix()
    digest = sha256_file(path)
    if rel in recorded and recorded[rel] != f"sha256:{digest}":
        raise InputError(
            _(
                "{file} in {root} differs from its entry in {manifest}",
                file=rel,
                root=str(root),
                manifest=MANIFEST_FILE,
            ),
            _("the dataset was changed after curation; curate it again"),
        )
    rows = pq.ParquetFile(path).metadata.num_rows
    return DataFile(rel, rows, path.stat().st_size, digest, split)


def _split_licences(root: Path, shards: tuple[DataFile, ...], split: str) -> SplitLicences:
    result = SplitLicences()
    attribution_needed: dict[str, bool] = {}
    for shard in shards:
        if shard.split != split:
            continue
        table = pq.read_table(root / shard.path, columns=["license", "attribution"])
        groups = table.group_by(["license", "attribution"]).aggregate([([], "count_all")])
        for row in groups.to_pylist():
            licence = row["license"] or ""
            result.documents[licence] += row["count_all"]
            if licence not in attribution_needed:
                attribution_needed[licence] = needs_attribution(licence)
            if attribution_needed[licence] and row["attribution"]:
                if len(result.attributions) < MAX_ATTRIBUTIONS:
                    result.attributions.add(row["attribution"])
                elif row["attribution"] not in result.attributions:
                    result.attributions_truncated = True
    return result
