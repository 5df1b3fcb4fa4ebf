"""A suite that could not run says why once, in words that do not repeat themselves."""

from __future__ import annotations

import json
from pathlib import Path

from tests.model.tiny_models import make_model
from tests.test_cli import invoke


def test_memorisation_without_training_data_says_not_checked_once(tmp_path: Path) -> None:
    model = make_model(tmp_path / "modell")  # a plain folder: its training data is unknown
    audit = tmp_path / "audit"
    run = ("audit", "run", model, "--suite", "memorisation")  # `audit memorisation` refuses
    result = invoke(*run, "--out", audit)
    assert result.exit_code == 0, result.output
    report = json.loads((audit / "report.json").read_text(encoding="utf-8"))
    assert report["memorisation"]["not_run"] == "training_unknown"
    german = (audit / "report.de.md").read_text(encoding="utf-8")
    english = (audit / "report.en.md").read_text(encoding="utf-8")
    assert (
        "\nNicht geprüft: die Trainingsdaten des Modells sind unbekannt (--training-data).\n"
        in (german)
    )
    assert (
        "\nNot checked: the model's training documents are not known (--training-data).\n"
        in english
    )
    assert "geprüft: nicht geprüft" not in german.lower()
    assert "checked: not checked" not in english.lower()
