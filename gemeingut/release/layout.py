"""Where things lie in a release bundle; shared by the writer (bundle.py) and the checkers
(verify, openness), which must not import the training code to learn a folder name."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from gemeingut.release.manifest import MANIFEST

BUNDLE_DIR = "bundle"  # inside a release artifact
MODEL = "model"
TRAINING_DATA = "training-data"
TEST_DATA = "test-data"
TRAINING_CODE = "training-code"
TRAINING_METADATA = "training-metadata"
FINETUNE_DATA = "finetuning"  # in training-data/: the fine-tuning data, when there is one
# in training-data/ and training-metadata/: each earlier fine-tune's data and records, by its id
FINETUNE_EARLIER = "finetuning-earlier"
# lineage.json's role of the n-th earlier fine-tune (1: the oldest), `earlier_finetunes` reads
EARLIER_ROLE = "finetune_earlier"
FIVE_ARTIFACTS = (MODEL, TRAINING_DATA, TEST_DATA, TRAINING_CODE, TRAINING_METADATA)
FINETUNE_RECORD = f"{TRAINING_METADATA}/finetune.json"  # the fine-tune's record of its base
FINETUNE_LOG = f"{TRAINING_METADATA}/finetune_log.jsonl"  # its training run's log
AUDIT = "audit"
AUDIT_REPORT = f"{AUDIT}/report.json"  # the audit's REPORT_JSON, as the bundle holds it
CARD = "README.md"
NOTICE = "NOTICE"
OPENNESS = "openness.json"
MOF = "mof.yml"
# the test split's shards, as the curated dataset names them and as test-data/ holds them
TEST_SHARDS = "test-*.parquet"
RELEASE_INFO = "release.json"  # what the publisher declared: name, licences per component


def locate_bundle(path: Path) -> Path:
    """A bundle folder itself, or the bundle inside a release artifact."""
    if not (path / MANIFEST).exists() and (path / BUNDLE_DIR / MANIFEST).exists():
        return path / BUNDLE_DIR
    return path


def earlier_finetunes(lineage: dict[str, Any]) -> list[dict[str, Any]]:
    """The records (artifact.json) of the fine-tunes before the released one, oldest first,
    from a bundle's lineage.json (none but for a fine-tune of a fine-tune)."""
    return [lineage[role] for role in earlier_roles(lineage)]


def earlier_roles(lineage: dict[str, Any]) -> list[str]:
    """The lineage roles of the fine-tunes before the released one, oldest first."""
    found = {
        int(number): role
        for role in lineage
        if (number := role.removeprefix(f"{EARLIER_ROLE}_")) != role and number.isdigit()
    }
    return [found[number] for number in sorted(found)]


def finetune_data_folder(role: str, meta: dict[str, Any]) -> str:
    """Where a bundle holds the data of the fine-tune of lineage role `role` (the files of its
    `data/`): the released one's in training-data/finetuning/, an earlier one's in its own
    folder by its id."""
    if role.startswith(f"{EARLIER_ROLE}_"):
        return f"{TRAINING_DATA}/{FINETUNE_EARLIER}/{meta['id']}"
    return f"{TRAINING_DATA}/{FINETUNE_DATA}"


def listed_shards(listed: dict[str, str], folder: str, pattern: str) -> list[str]:
    """The files directly in `folder` whose names match `pattern` (`test-*.parquet`), among
    those the MANIFEST lists (a check reads no file that was not hashed), in order."""
    return sorted(
        rel
        for rel in listed
        if PurePosixPath(rel).parent == PurePosixPath(folder) and PurePosixPath(rel).match(pattern)
    )
