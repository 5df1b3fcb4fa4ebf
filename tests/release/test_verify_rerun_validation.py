"""`verify --rerun` computes the pretraining's final validation loss (training.json, which the
card and the technical report state) again from the weights the bundle publishes and its
validation shards, where the record is of those weights: a release of our own pretrained
model. A loss forged in every record and document, re-hashed, passes plain `verify` and is
named by the re-run; a fine-tune's bundle says why its records are not re-run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.release.documents_again import documents_rendered_again
from tests.test_cli import invoke

TRAINING = "training-metadata/training.json"
RECORDS = (TRAINING, "training-metadata/lineage.json")
LOG = "training-metadata/training_log.jsonl"


@pytest.fixture(scope="module")
def released_pretraining(tiny_build, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny build's pretrained model (no fine-tune) evaluated and released, as a user
    releases our own pretraining."""
    root = tmp_path_factory.mktemp("pretraining")
    model, dataset = tiny_build["model"]["path"], tiny_build["dataset"]["path"]
    evaluated = invoke("evaluate", model, "--dataset", dataset, "--out", root / "ev", "--json")
    assert evaluated.exit_code == 0, evaluated.output
    evaluation = json.loads(evaluated.stdout)["path"]
    result = invoke(
        "release", "--dataset", dataset, "--tokenizer", tiny_build["tokenizer"]["path"],
        "--model", model, "--evaluation", evaluation, "--name", "vortraining",
        "--out", root / "r",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return root / "r" / "bundle"


@pytest.fixture
def pretrained(released_pretraining: Path, tmp_path: Path) -> Path:
    """A private copy, free to damage."""
    return Path(shutil.copytree(released_pretraining, tmp_path / "bundle"))


def _final(bundle: Path) -> float:
    return json.loads((bundle / TRAINING).read_text("utf-8"))["stats"]["final_val_loss"]


def test_the_final_validation_loss_is_computed_again(pretrained: Path) -> None:
    result = invoke("verify", pretrained, "--rerun", "1", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)["rerun"]
    windows = json.loads((pretrained / TRAINING).read_text("utf-8"))["data_order"]["validation"]
    assert record["validation"] == {
        "file": TRAINING,
        "windows": int(windows.split(" = ")[1].split()[0]),  # as the record says it chose them
        "tolerance": 1e-3,
        "device": "cpu",
        "precision": "bf16",  # the tiny recipe trains in bf16 on the CPU
        "note": None,
        "note_en": None,
    }
    said = " ".join(invoke("verify", pretrained, "--rerun", "1").output.split())
    assert "den letzten Validierungsverlust auf 16 Validierungsfenstern neu berechnet" in said


def _replaced(value: Any, old: float, new: float) -> Any:
    if isinstance(value, dict):
        return {k: _replaced(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v, old, new) for v in value]
    return new if value == old else value


def _forge(bundle: Path, new: float) -> None:
    """The final validation loss replaced in every record that holds it (training.json, the
    lineage, the log's last line) and every document rendered again, re-hashed."""
    old = _final(bundle)
    for name in RECORDS:
        record = json.loads((bundle / name).read_text("utf-8"))
        (bundle / name).write_text(json.dumps(_replaced(record, old, new), indent=2) + "\n")
    lines = [json.loads(line) for line in (bundle / LOG).read_text("utf-8").splitlines()]
    (bundle / LOG).write_text("".join(json.dumps(_replaced(r, old, new)) + "\n" for r in lines))
    documents_rendered_again(bundle)


def test_a_forged_validation_loss_is_named_only_by_the_re_run(pretrained: Path) -> None:
    true = _final(pretrained)
    _forge(pretrained, true - 0.25)
    checked = invoke("verify", pretrained)
    assert checked.exit_code == 0, checked.output  # every document agrees with the forgery
    result = invoke("verify", pretrained, "--rerun", "1")
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert "die erneute Berechnung des Validierungsverlusts widerspricht dem Paket" in said
    assert f"{TRAINING}: final_val_loss ist {true - 0.25:.6g}, das Modell des Pakets" in said
    assert f"ergibt {true:.6g}" in said


def test_a_fine_tune_says_why_its_validation_loss_is_not_re_run(bundle: Path) -> None:
    result = invoke("verify", bundle, "--rerun", "1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rerun"]["validation"] is None
    said = " ".join(invoke("verify", bundle, "--rerun", "1").output.split())
    assert "Validierungsverlust nicht wiederholt: training-metadata/training.json maß" in said
