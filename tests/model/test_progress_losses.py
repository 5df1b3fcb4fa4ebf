"""The losses beside a training run's progress are in the reader's words and decimal marks
(pretraining and fine-tuning write them alike, `training_log.StepRecords`), and a log's progress
line reads as German: "2/2 Schritte", never "von 2 Schritte"."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from gemeingut import progress
from gemeingut.i18n import use_language
from gemeingut.model.training_log import losses
from tests.model.tiny_models import make_model
from tests.test_cli import invoke


def test_the_losses_are_said_in_the_readers_language() -> None:
    assert losses(6.8261, 6.8659) == "Verlust 6,826 · Validierung 6,866"
    assert losses(6.8261, math.nan) == "Verlust 6,826"  # a run without validation data
    with use_language("en"):
        assert losses(6.8261, 6.8659) == "loss 6.826 · validation 6.866"


def test_a_fine_tunes_progress_in_a_log_is_german(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = make_model(tmp_path / "base")
    data = tmp_path / "antworten.jsonl"
    lines = (
        json.dumps({"prompt": f"Frage {i}?", "completion": f" Antwort {i}."}) for i in range(20)
    )
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 0.0)  # a line for every step
    result = invoke(
        "model", "finetune", base, "--data", data, "--out", tmp_path / "ft", "--steps", "2",
        "--eval-every", "1", "--data-license", "CC0-1.0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said = [line for line in result.stderr.splitlines() if line.startswith("Feinabstimmung: ")]
    assert said, result.stderr
    number = r"\d+,\d{3}"
    expected = rf"Feinabstimmung: 2/2 Schritte \(100 %\), bisher \d+ s · Verlust {number} · "
    assert re.fullmatch(expected + rf"Validierung {number}", said[-1]), said
