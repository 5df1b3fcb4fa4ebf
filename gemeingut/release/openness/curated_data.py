"""Fine-tuning data that `data curate` made, found in a bundle by its record
(`curated-dataset/dataset.json`: sources, filters, statistics), so that the AI Act summaries of
both kinds of release say its origin and filtering from the record; data given as files has
none, and is said apart."""

from __future__ import annotations

import json
from typing import Any

from gemeingut.data.shards import CURATED_DIR, DATASET_RECORD
from gemeingut.i18n import Message, _
from gemeingut.release.layout import TRAINING_DATA
from gemeingut.release.openness.evidence import DATA_STATEMENT, Evidence

Curated = list[tuple[str, dict[str, Any]]]  # each dataset's folder in the bundle, its record
EVERY_FOLDER = (f"{TRAINING_DATA}/",)


def curated_datasets(evidence: Evidence, folders: tuple[str, ...] = EVERY_FOLDER) -> Curated:
    """The curated datasets in the bundle's `folders` (of every fine-tune of a chain), each by
    its folder with its record; none where the data was given as files."""
    records = sorted(
        rel
        for rel in evidence.present
        if rel.startswith(folders) and rel.endswith(f"/{CURATED_DIR}/{DATASET_RECORD}")
    )
    return [
        (
            rel.removesuffix(f"/{DATASET_RECORD}"),
            json.loads((evidence.root / rel).read_text("utf-8")),
        )
        for rel in records
    ]


def uncurated_files(
    evidence: Evidence, curated: Curated, folders: tuple[str, ...] = EVERY_FOLDER
) -> list[str]:
    """The files in `folders` that no curated dataset holds (fine-tuning data given as files);
    a published dataset's statement (`release --publication`) describes data, it is none."""
    inside = tuple(f"{folder}/" for folder, _record in curated)
    return sorted(
        rel
        for rel in evidence.present
        if rel.startswith(folders)
        and not rel.startswith(inside)
        and rel.rsplit("/", 1)[-1] != DATA_STATEMENT
        and (evidence.root / rel).is_file()
    )


def curated_caption(folder: str, record: dict[str, Any]) -> Message:
    return _("The curated dataset {id} in `{folder}/`:", id=str(record["id"]), folder=folder)
