"""A single-suite audit that would check nothing is refused, and each refusal says what is
wrong in the audit's words: memorisation without training documents or canaries, training data
that does not exist (not "holds no training documents"), a folder with no model to audit (not
"to serve"). The report names the similarity measure of "near-verbatim"."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gemeingut.audit.report_text import TEXT
from gemeingut.cli import app


def _audit(*args: object):
    return CliRunner().invoke(app, ["audit", *(str(a) for a in args)])


def _model(tmp_path: Path) -> Path:
    folder = tmp_path / "m"
    folder.mkdir()
    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"]}
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


def test_memorisation_without_training_data_is_refused(tmp_path: Path) -> None:
    result = _audit("memorisation", _model(tmp_path), "--out", tmp_path / "a")
    assert result.exit_code == 2
    assert "die Trainingsdokumente von m sind nicht bekannt" in result.stderr
    assert "--training-data" in result.stderr and not (tmp_path / "a").exists()


def test_training_data_that_does_not_exist_is_said_so(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    result = _audit(
        "memorisation", _model(tmp_path), "--training-data", missing, "--out", tmp_path / "a"
    )
    assert result.exit_code == 2
    assert f"die Trainingsdaten {missing} existieren nicht" in result.stderr
    assert "enthält keine Trainingsdokumente" not in result.stderr


def test_a_folder_without_a_model_is_no_model_to_audit(tmp_path: Path) -> None:
    empty = tmp_path / "emptyd"
    empty.mkdir()
    result = _audit("bias", empty, "--out", tmp_path / "a")
    assert result.exit_code == 2
    assert f"{empty} enthält kein Modell zum Prüfen" in result.stderr
    assert "Bereitstellen" not in result.stderr


def test_near_verbatim_names_its_measure() -> None:
    assert "difflibs Ratio" in TEXT["de"]["memo_method"]
    assert "difflib's ratio" in TEXT["en"]["memo_method"]
