"""The data statement of a fine-tune's own dataset, in the bundle of a fine-tune of a foreign base.

A model fine-tuned on a curated dataset artifact (`model finetune BASE --data DATASET`) keeps
that dataset's shards, stats.json and record in `data/curated-dataset/`, which its bundle
publishes as `training-data/finetuning/curated-dataset/`. `gemeingut data publish DATASET`
writes the dataset's data statement; `release --finetuned … --publication PUB` copies it
beside the data as `training-data/finetuning/DATA_STATEMENT.md` and keeps the publication's
record in lineage.json (`publication`), so that `verify` renders the statement again from
the records the bundle holds (the dataset's stats.json and record, hashed by the fine-tune's
lineage, and the publication's prose) and the rating counts it as the fine-tune's data card.
Only the statement is copied: the publication's Croissant and DCAT name the dataset's own
file layout (and its test split), which a fine-tune bundle does not hold.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from gemeingut.audit.finetuning_data import DATA_DIR
from gemeingut.data.publish import DATA_STATEMENT_FILE
from gemeingut.data.shards import CURATED_DIR, DATASET_RECORD
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.release.layout import FINETUNE_DATA, TRAINING_DATA
from gemeingut.workspace import ARTIFACT_FILE, Artifact

PUBLICATION = "publication"  # the lineage's role of the publication the statement is from
FINETUNE_FOLDER = f"{TRAINING_DATA}/{FINETUNE_DATA}"
FINETUNE_STATEMENT = f"{FINETUNE_FOLDER}/{DATA_STATEMENT_FILE}"
CURATED = f"{FINETUNE_FOLDER}/{CURATED_DIR}"
CURATED_STATS = f"{CURATED}/stats.json"
CURATED_RECORD = f"{CURATED}/{DATASET_RECORD}"


def trained_on(tuned: Path) -> str | None:
    """The id of the curated dataset the fine-tune in `tuned` trained on (its kept record's),
    or None where it trained on files (JSONL, text) or kept no record."""
    record = tuned / DATA_DIR / CURATED_DIR / DATASET_RECORD
    if not record.is_file():
        return None
    return json.loads(record.read_text(encoding="utf-8")).get("id")


def check_publication(publication: Artifact, tuned: Artifact) -> None:
    """A publication goes into a fine-tune's bundle only where it is of the very dataset the
    fine-tune trained on: its statement would else describe other data than the model's;
    and its statement must be the one this gemeingut renders from that dataset's records."""
    published = publication.meta.get("inputs", {}).get("dataset")
    if not isinstance(published, str):
        raise InputError(
            _(
                "--publication {path} is no publication of a dataset: its record ({file}) "
                "names no dataset it was made from",
                path=str(publication.path),
                file=ARTIFACT_FILE,
            ),
            _("pass the folder `gemeingut data publish DATASET --out PUB` wrote"),
        )
    dataset = trained_on(tuned.path)
    named = {"path": str(publication.path), "dataset": published, "model": str(tuned.path)}
    if dataset is None:
        raise InputError(
            _(
                "--publication {path} publishes the dataset {dataset}, but {model} was not "
                "fine-tuned on a curated dataset artifact: its data is the file or folder it "
                "was given, which a data statement cannot describe",
                **named,
            ),
            _(
                "leave --publication out, or curate the data (gemeingut data curate), "
                "fine-tune on that dataset artifact and publish it (gemeingut data publish)"
            ),
        )
    if dataset != published:
        raise InputError(
            _(
                "--publication {path} publishes the dataset {dataset}, but {model} was "
                "fine-tuned on the dataset {trained}",
                trained=dataset,
                **named,
            ),
            publish_hint(dataset),
        )
    from gemeingut.release.publication_statement import refuse_other_statement

    records = statement_records(tuned.path / DATA_DIR, CURATED_DIR)
    if records is not None:  # else the bundle's check says its statement has no records
        refuse_other_statement(publication, *records, None)


def publish_hint(dataset: str) -> Message:
    """How the data statement of the fine-tuning data is made and released."""
    return _(
        "publish the fine-tuning data: gemeingut data publish DATASET --info INFO.toml --out "
        "PUB (DATASET: the folder of the dataset artifact {dataset}), then pass --publication "
        "PUB to `gemeingut release`",
        dataset=dataset,
    )


def copy_statement(publication: Artifact, bundle: Path) -> Path:
    """The publication's data statement beside the fine-tuning data; returns the copy."""
    copy = bundle / FINETUNE_STATEMENT
    shutil.copy2(publication.path / DATA_STATEMENT_FILE, copy)
    return copy


def lineage_record(publication: Artifact) -> dict[str, Any]:
    """The publication's record as lineage.json keeps it: its id and what it was made from and
    with (`reproduce` publishes again from them), and the digest of the one file the bundle
    holds. Its other files (Croissant, DCAT, NOTICE, the copies of the data) and the stats
    about them describe the dataset's whole layout, test split included, which a fine-tune's
    bundle neither holds nor can make again from its copy of the training splits."""
    meta = {key: value for key, value in publication.meta.items() if key != "stats"}
    statement = publication.meta.get("files", {}).get(DATA_STATEMENT_FILE)
    return meta | {"files": {DATA_STATEMENT_FILE: statement}}


def unpublished_hint(tuned: Path) -> Message | None:
    """What a release without --publication of a fine-tune on a curated dataset could have:
    its data card (the rating counts it); None for other fine-tunes."""
    dataset = trained_on(tuned)
    if dataset is None:
        return None
    return _(
        "the fine-tuning data is the curated dataset {dataset}, whose data statement the bundle "
        "lacks (the rating's data card): {hint}",
        dataset=dataset,
        hint=publish_hint(dataset),
    )


def statement_records(
    bundle: Path, curated: str = CURATED
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The dataset's stats.json and record as the bundle holds them beside the fine-tuning
    data (both hashed by the fine-tune's lineage), or None where it holds none; `curated`:
    where in `bundle` (a fine-tune's folder holds them in `data/curated-dataset/`)."""
    stats, record = bundle / curated / "stats.json", bundle / curated / DATASET_RECORD
    if not stats.is_file() or not record.is_file():
        return None
    return (
        json.loads(stats.read_text(encoding="utf-8")),
        json.loads(record.read_text(encoding="utf-8")),
    )
