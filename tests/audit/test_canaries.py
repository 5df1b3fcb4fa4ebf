"""Canaries: a planted secret the model trained on is exposed, one it never saw is not."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.audit.canaries import exposure, make_canaries, read_record
from gemeingut.audit.target import LocalTarget
from gemeingut.cli import app
from gemeingut.errors import InputError
from tests.audit.test_memorisation import random_text
from tests.audit.tiny_lm import train_tiny_lm

CANDIDATES = 40


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("canaries")
    record = make_canaries(root / "canaries", count=4, seed=3)
    documents = [
        json.loads(line) for line in (root / "canaries" / "canaries.jsonl").read_text().splitlines()
    ]
    rng = random.Random(1)
    others = [{"id": f"doc-{i}", "text": random_text(rng, 25)} for i in range(30)]
    trained = documents[:2]  # canaries 0 and 1 enter the training data, 2 and 3 do not
    data = root / "train.jsonl"
    data.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in others + trained))
    texts = [d["text"] for d in others] + [d["text"] for d in trained] * 20
    everything = [d["text"] for d in others + documents]
    model = train_tiny_lm(
        texts, root / "model", steps=300, learning_rate=3e-3, tokenizer_texts=everything
    )
    return {"record": record, "data": data, "model": model, "root": root}


def test_a_trained_canary_is_exposed_and_an_unseen_one_is_not(planted: dict) -> None:
    target = LocalTarget(planted["model"], "m", "m")
    found = exposure(target, planted["record"], CANDIDATES, (planted["data"],))
    by_id = {c["id"]: c for c in found["canaries"]}
    ids = [c["id"] for c in planted["record"]["canaries"]]
    assert [by_id[i]["in_training_data"] for i in ids] == [True, True, False, False]
    assert all(by_id[i]["rank"] == 1 for i in ids[:2])
    assert found["max_exposure"] == round(math.log2(CANDIDATES + 1), 4)
    assert found["mean_exposure_trained"] == found["max_exposure"]
    assert found["mean_exposure_control"] < found["max_exposure"] - 1


def test_canaries_from_the_command_line_into_the_memorisation_report(
    planted: dict, tmp_path: Path
) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["audit", "canaries", "--out", str(tmp_path / "c"), "--count", "2"])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "c" / "canaries.jsonl").is_file()
    record = planted["root"] / "canaries" / "canaries.secret.json"
    result = runner.invoke(
        app,
        [
            "audit",
            "memorisation",
            str(planted["model"]),
            "--training-data",
            str(planted["data"]),
            "--canaries",
            str(record),
            "--candidates",
            "20",
            "--samples",
            "5",
            "--prefix-tokens",
            "4",
            "--continuation-tokens",
            "4",
            "--out",
            str(tmp_path / "a"),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert len(report["memorisation"]["canaries"]["canaries"]) == 4
    assert "Kanarienvögel" in (tmp_path / "a" / "report.de.md").read_text()


def test_a_file_that_is_no_canary_record_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"canaries": [{"id": 1}]}')
    with pytest.raises(InputError, match="keine Aufzeichnung von Kanarienvögeln"):
        read_record(tmp_path / "x.json")
