"""An audit report gemeingut wrote, copied into a foreign model's folder, counts as evaluation
results, and the task data beside it as evaluation data; a `report.json` of another shape does
not, whatever its folder is called."""

import json
from pathlib import Path

import pytest

from gemeingut.hashing import files_with_hashes, sha256_json
from gemeingut.release.openness.foreign import rate_folder
from tests.release.test_openness_rate import _folder

REPORT = {  # as `audit/run.py` writes it (the suites' results shortened)
    "model": {"kind": "model folder", "name": "qwen-tiny", "lineage": "sha256:00"},
    "suites": ["tasks", "bias"],
    "tasks": {"tasks": {"gg_lesen": {"metrics": {"acc": {"value": 0.5, "stderr": 0.1}}}}},
    "bias": {"categories": {}},
}


def _lineage(folder: Path) -> str:
    """The lineage an audit of `folder` records: the hash of its files (`audit/subject.py`)."""
    return "sha256:" + sha256_json(files_with_hashes(folder))


def _audited(folder: Path, lineage: str) -> None:
    (folder / "audit" / "tasks").mkdir(parents=True)
    report = {**REPORT, "model": {**REPORT["model"], "lineage": lineage}}
    (folder / "audit" / "report.json").write_text(json.dumps(report), "utf-8")
    (folder / "audit" / "tasks" / "gg_lesen.jsonl").write_text('{"question": "?"}\n', "utf-8")


def test_another_models_audit_report_is_no_evidence_of_this_one(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0", qwen=True)
    lineage = _lineage(folder)
    (folder / "config.json").write_text('{"model_type": "qwen2", "hidden_size": 8}', "utf-8")
    _audited(folder, lineage)  # the audit was of the folder before its config changed
    rows = _rows(folder)
    assert not rows["Evaluation results"]["present"]
    assert not rows["Evaluation data"]["present"]


def _rows(folder: Path) -> dict[str, dict]:
    return {c["name"]: c for c in rate_folder(folder)["mof"]["components"]}


def test_an_audit_report_in_the_folder_counts_as_evaluation_results_and_data(
    tmp_path: Path,
) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0", qwen=True)
    _audited(folder, _lineage(folder))
    rows = _rows(folder)
    results, data = rows["Evaluation results"], rows["Evaluation data"]
    assert results["present"] and results["evidence"] == ["audit/report.json"]
    assert results["detail"].startswith(
        "audit/report.json: gemeingut audit report ('tasks', 'bias'), 1 metric value"
    )
    assert data["present"] and data["evidence"] == ["audit/tasks/gg_lesen.jsonl"]


@pytest.mark.parametrize(
    "other",
    [
        {"suites": ["tasks"], "acc": 0.9},  # no model audited
        {**REPORT, "suites": ["tasks", "speed"]},  # a suite the audit has not
        {**REPORT, "command": 5},  # a field not of the kind the audit writes
    ],
)
def test_a_report_json_of_another_shape_is_no_audit(tmp_path: Path, other: dict) -> None:
    folder = _folder(tmp_path / "m", "apache-2.0", qwen=True)
    (folder / "audit" / "tasks").mkdir(parents=True)
    (folder / "audit" / "report.json").write_text(json.dumps(other), "utf-8")
    (folder / "audit" / "tasks" / "gg_lesen.jsonl").write_text('{"question": "?"}\n', "utf-8")
    rows = _rows(folder)
    assert not rows["Evaluation results"]["present"]
    assert not rows["Evaluation data"]["present"]
