"""Validation examples that also stand in the training data are said, in German by default:
copies of a repeated example held out while others stay in training, and separate validation
data that repeats training examples. Distinct examples are not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.model.finetune_data import held_out, split_examples


def _write(path: Path, answers: list[int]) -> Path:
    path.write_text(
        "".join(
            json.dumps({"prompt": f"Frage {n}?", "completion": f" Antwort {n}."}) + "\n"
            for n in answers
        ),
        encoding="utf-8",
    )
    return path


def _said(capsys: pytest.CaptureFixture[str]) -> str:
    return " ".join(capsys.readouterr().err.split())


def test_held_out_copies_of_repeated_examples_are_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _write(tmp_path / "data.jsonl", [n // 2 for n in range(20)])  # each example twice
    split_examples(data, None, 0.3, 0)
    held = held_out(20, 0.3, 0)
    # a held example is also trained on where its twin (the other line of the pair) is not held
    expected = sum(1 for i in range(20) if held[i] and not held[i ^ 1])
    assert 0 < expected < held.sum(), "pick a seed that holds out some, not all, twins"
    said = _said(capsys)
    assert (
        f"{expected} der {int(held.sum())} für die Validierung zurückgehaltenen Beispiele stehen "
        "auch in den Trainingsdaten"
    ) in said, said


def test_distinct_examples_are_not_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _write(tmp_path / "data.jsonl", list(range(20)))
    split_examples(data, None, 0.3, 0)
    assert "Validierung" not in _said(capsys)


def test_separate_validation_data_repeating_training_examples_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _write(tmp_path / "data.jsonl", list(range(10)))
    validation = _write(tmp_path / "val.jsonl", [3, 42])
    split_examples(data, validation, 0.1, 0)
    said = _said(capsys)
    assert f"1 der 2 Validierungsbeispiele in {validation} steht auch in den Trainingsdaten" in said
