"""A fine-tune that is reused stands for what it was made with: its recorded release licence is
not silently kept for another one, a damaged record is said in words, and a gemeingut base's
files are hashed only when a new fine-tune is built."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.errors import InputError
from gemeingut.model.release_licence import release_licence
from gemeingut.workspace import materialize
from tests.release.test_finetune_release import base_folder, fine_tune
from tests.test_cli import invoke


def _again(root: Path, base: Path, *extra: str, out: str = "tuned"):
    return invoke(
        "model", "finetune", base, "--data", root / "antworten.jsonl", "--out", root / out,
        "--steps", "4", "--eval-every", "2", "--data-license", "CC0-1.0", *extra,
    )  # fmt: skip


def test_a_reused_fine_tune_with_another_licence_is_refused(tmp_path: Path) -> None:
    base = base_folder(tmp_path, "apache-2.0")
    tuned = fine_tune(tmp_path, base, "--merge", "--license", "MIT")
    again = _again(tmp_path, base, "--merge", "--license", "Apache-2.0")
    said = " ".join(again.output.split())
    assert again.exit_code == 2, again.output
    assert "--license MIT" in said and "nicht Apache-2.0" in said
    assert "--license Apache-2.0" in said and "--out" in said
    assert json.loads((tuned / "finetune.json").read_text())["release_license"] == "MIT"
    same = _again(tmp_path, base, "--merge", "--license", "mit")  # the same licence: reused
    assert same.exit_code == 0, same.output


def test_a_damaged_fine_tune_record_is_said_with_its_file_and_field(tmp_path: Path) -> None:
    record = tmp_path / "finetune.json"
    record.write_text("{kaputt", encoding="utf-8")
    with pytest.raises(InputError, match=r"finetune\.json"):
        release_licence(tmp_path)
    record.write_text(json.dumps({"base_model": "llama"}), encoding="utf-8")
    with pytest.raises(InputError, match=r"finetune\.json.*base_model"):
        release_licence(tmp_path)


def test_a_reused_fine_tune_does_not_hash_its_gemeingut_base_again(tmp_path: Path) -> None:
    """A reused fine-tune was checked when built; a new one of a changed base is refused."""
    foreign = base_folder(tmp_path, "apache-2.0")

    def build(out: Path) -> dict:
        shutil.copytree(foreign, out, dirs_exist_ok=True)
        return {}

    own = materialize(tmp_path / "own", "model", {}, {"test": "own"}, build)[0].path
    fine_tune(tmp_path, own, "--merge")
    (own / "notes.txt").write_text("neu", "utf-8")
    assert _again(tmp_path, own, "--merge").exit_code == 0  # reused: no hashing of the base
    fresh = _again(tmp_path, own, "--merge", out="tuned-again")
    assert fresh.exit_code == 2 and "notes.txt" in fresh.output, fresh.output
