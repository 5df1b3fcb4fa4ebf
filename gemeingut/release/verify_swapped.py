"""Data files swapped behind a re-hashed MANIFEST, said plainly before what follows from it.

The MANIFEST is rewritten in a line, but the records that name each data file with its sha256
(Croissant, DCAT-AP.de, the data manifest, the training's data order) would have to be
rewritten too. A shard whose bytes are what those records give another shard (train and
validation swapped) is named as such first; the split table and the bills of materials that
then disagree are its consequences, listed after it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from gemeingut.i18n import Message
from gemeingut.release.layout import TRAINING_DATA, TRAINING_METADATA
from gemeingut.release.manifest import said_swaps, swapped
from gemeingut.release.openness.data_metadata import CROISSANT, DCAT, dcat_names
from gemeingut.release.verify_guard import READ_ERRORS

DATA_MANIFEST = f"{TRAINING_DATA}/manifest.json"
TRAINING = f"{TRAINING_METADATA}/training.json"


def swapped_data(bundle: Path, listed: dict[str, str]) -> list[Message]:
    """Each data file whose bytes (its MANIFEST sha256, checked) are what a record gives
    another data file of the bundle, with the records that say so."""
    by_name: dict[str, list[str]] = {}
    for path in listed:
        if path.endswith(".parquet"):
            by_name.setdefault(PurePosixPath(path).name, []).append(path)
    unique = {name: paths[0] for name, paths in by_name.items() if len(paths) == 1}
    actual = {name: listed[path] for name, path in unique.items()}
    found: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for source, recorded in _records(bundle, listed).items():
        recorded = {name: digest for name, digest in recorded.items() if name in unique}
        named = [name for name in actual if name in recorded]
        for name, others in swapped(named, actual, recorded):
            found.setdefault((name, tuple(others)), []).append(source)
    return said_swaps(
        [(unique[name], [unique[o] for o in others], sources)
         for (name, others), sources in found.items()]
    )  # fmt: skip


def _records(bundle: Path, listed: dict[str, str]) -> dict[str, dict[str, str]]:
    """Each record's data files by name -> sha256 (a record that cannot be read gives none:
    its own check names it)."""
    readers: dict[str, Callable[[str], dict[str, Any]]] = {
        CROISSANT: _croissant, DCAT: _dcat, DATA_MANIFEST: _data_manifest, TRAINING: _data_order,
    }  # fmt: skip
    records = {}
    for source, read in readers.items():
        if source not in listed:
            continue
        try:
            named = read((bundle / source).read_text(encoding="utf-8"))
        except READ_ERRORS:
            continue
        records[source] = {
            PurePosixPath(str(name)).name: str(digest).removeprefix("sha256:").lower()
            for name, digest in named.items()
        }
    return records


def _croissant(text: str) -> dict[str, Any]:
    record = json.loads(text)
    return {
        item["contentUrl"]: item["sha256"]
        for item in record.get("distribution", [])
        if isinstance(item, dict) and "contentUrl" in item and "sha256" in item
    }


def _dcat(text: str) -> dict[str, Any]:
    """Each single-file distribution's checksum, which is its file's."""
    return {name: digest for name, (digest, _part) in dcat_names(text).items() if digest}


def _data_manifest(text: str) -> dict[str, Any]:
    return dict(json.loads(text).get("files", {}))


def _data_order(text: str) -> dict[str, Any]:
    return dict(json.loads(text).get("data_order", {}).get("shards", {}))
