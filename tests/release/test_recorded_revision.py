"""A revision read from someone else's bundle (the adapter's `revision`, a snapshot folder's
name) is joined into a folder path by `reproduce` and into lm_eval's comma-separated
arguments by `release`: only a commit's 40 hex digits are taken as one. Before, `../..` or an
absolute path put the rebuild's copy of the base outside its folder, and a comma added model
arguments to the published command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.errors import InputError
from gemeingut.i18n import text
from gemeingut.model.finetune_base_reference import cached_model, is_revision
from gemeingut.release.audit_command import published_base
from gemeingut.release.layout import MODEL
from gemeingut.release.openness.finetune_rating import FINETUNE_RECORD
from gemeingut.release.reproduce_base import base_as_recorded, recorded_snapshot

COMMIT = "0123456789abcdef" * 2 + "01234567"
UNSAFE = ["../../outside", "/etc/gemeingut", "x,trust_remote_code=True", "main", "", 40]


def _bundle(tmp_path: Path, revision: object) -> Path:
    bundle = tmp_path / "bundle"
    (bundle / MODEL).mkdir(parents=True)
    config = {"base_model_name_or_path": "uni-example/winzling", "revision": revision}
    (bundle / MODEL / "adapter_config.json").write_text(json.dumps(config), encoding="utf-8")
    record = bundle / FINETUNE_RECORD
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"base_model": {"path": "/elsewhere/winzling"}}), "utf-8")
    return bundle


def test_a_commit_is_a_revision() -> None:
    assert is_revision(COMMIT)
    assert [value for value in UNSAFE if is_revision(value)] == []


@pytest.mark.parametrize("revision", UNSAFE)
def test_an_unsafe_revision_names_no_snapshot_and_no_argument(
    tmp_path: Path, revision: object
) -> None:
    bundle = _bundle(tmp_path, revision)
    assert recorded_snapshot(bundle) is None
    base = tmp_path / "base"
    base.mkdir()
    assert base_as_recorded(bundle, base, tmp_path / "rebuild") == base  # nothing copied
    assert published_base(bundle / MODEL) == "uni-example/winzling"


def test_a_commit_is_laid_out_as_its_snapshot(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, COMMIT)
    base = tmp_path / "base"
    base.mkdir()
    (base / "config.json").write_text("{}", encoding="utf-8")
    snapshot = base_as_recorded(bundle, base, tmp_path / "rebuild")
    assert snapshot.is_relative_to(tmp_path / "rebuild")
    assert cached_model(snapshot) == recorded_snapshot(bundle)
    assert published_base(bundle / MODEL) == f"uni-example/winzling,revision={COMMIT}"


def test_a_snapshot_folder_named_otherwise_is_no_cache_snapshot(tmp_path: Path) -> None:
    folder = tmp_path / "hub" / "models--uni-example--winzling" / "snapshots" / ".."
    assert cached_model(folder) is None


@pytest.mark.parametrize("config", ["[]", "{", "\udcff"])
def test_an_unreadable_adapter_config_is_said_not_a_traceback(tmp_path: Path, config: str) -> None:
    bundle = _bundle(tmp_path, COMMIT)
    (bundle / MODEL / "adapter_config.json").write_text(config, "utf-8", errors="surrogateescape")
    with pytest.raises(InputError) as raised:
        recorded_snapshot(bundle)
    assert "model/adapter_config.json" in text(raised.value.message, "en")
