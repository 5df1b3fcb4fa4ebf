"""`gemeingut release` names its own option where a value it was given is refused: the
command has no recipe, so `release.license:` pointed the reader at a file they never wrote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.test_cli import invoke

OWN = ("dataset", "tokenizer", "model", "evaluation")


def _release(tiny_build: dict, out: Path, *extra: object):
    own = [arg for kind in OWN for arg in (f"--{kind}", tiny_build[kind]["path"])]
    return invoke("release", *own, "--name", "x", "--out", out, *extra)


def test_a_refused_licence_names_the_license_option(tiny_build: dict, tmp_path: Path) -> None:
    tuned = tmp_path / "tuned"  # a fine-tune whose data is share-alike, as its record says
    shutil.copytree(tiny_build["finetune"]["path"], tuned)
    record = tuned / "artifact.json"
    meta = json.loads(record.read_text(encoding="utf-8"))
    meta["params"]["data_license"] = "CC-BY-SA-4.0"
    record.write_text(json.dumps(meta), encoding="utf-8")
    result = _release(tiny_build, tmp_path / "r", "--finetuned", tuned, "--license", "MIT")
    assert result.exit_code == 2, result.output
    assert "Fehler: --license: MIT " in result.stderr, result.stderr
    assert "release.license" not in result.stderr


def test_a_refused_language_names_the_language_option(tiny_build: dict, tmp_path: Path) -> None:
    tuned = tiny_build["finetune"]["path"]  # the model the build's evaluation is of
    result = _release(tiny_build, tmp_path / "r", "--finetuned", tuned, "--language", "fr")
    assert result.exit_code == 2, result.output
    assert "Fehler: --language: " in result.stderr and "release." not in result.stderr, (
        result.stderr
    )
