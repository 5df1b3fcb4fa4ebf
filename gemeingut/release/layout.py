"""Where things lie in a release bundle; shared by the writer (bundle.py) and the checkers
(verify, openness), which must not import the training code to learn a folder name."""

from __future__ import annotations

from pathlib import Path

from gemeingut.release.manifest import MANIFEST

BUNDLE_DIR = "bundle"  # inside a release artifact
MODEL = "model"
TRAINING_DATA = "training-data"
TEST_DATA = "test-data"
TRAINING_CODE = "training-code"
TRAINING_METADATA = "training-metadata"
FINETUNE_DATA = "finetuning"  # in training-data/: the fine-tuning data, when there is one
FIVE_ARTIFACTS = (MODEL, TRAINING_DATA, TEST_DATA, TRAINING_CODE, TRAINING_METADATA)
FINETUNE_RECORD = f"{TRAINING_METADATA}/finetune.json"  # the fine-tune's record of its base
AUDIT = "audit"
AUDIT_REPORT = f"{AUDIT}/report.json"  # the audit's REPORT_JSON, as the bundle holds it
CARD = "README.md"
NOTICE = "NOTICE"
OPENNESS = "openness.json"
MOF = "mof.yml"
RELEASE_INFO = "release.json"  # what the publisher declared: name, licences per component


def locate_bundle(path: Path) -> Path:
    """A bundle folder itself, or the bundle inside a release artifact."""
    if not (path / MANIFEST).exists() and (path / BUNDLE_DIR / MANIFEST).exists():
        return path / BUNDLE_DIR
    return path
