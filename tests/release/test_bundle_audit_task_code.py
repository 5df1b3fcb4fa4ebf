"""The lm-eval task files of a bundle's audit count as its evaluation code, as they do in a
rated folder, checked against the audit's record of them in the lineage; `verify` rates the
files again, so a task file changed after the release is named."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.release.layout import OPENNESS
from gemeingut.release.manifest import write_manifest
from tests.test_cli import invoke

SNAPSHOT_CODE = "training-code/gemeingut/evaluate/perplexity.py"


def evaluation_code(bundle: Path) -> dict:
    rating = json.loads((bundle / OPENNESS).read_text(encoding="utf-8"))
    return next(c for c in rating["mof"]["components"] if c["name"] == "Evaluation code")


def _task_files(bundle: Path) -> list[str]:
    report = json.loads((bundle / "audit" / "report.json").read_text(encoding="utf-8"))
    return sorted(f"audit/tasks/{task}.yaml" for task in report["tasks"]["tasks"])


def test_a_bundle_s_audit_task_files_count_as_evaluation_code(bundle: Path) -> None:
    code = evaluation_code(bundle)
    assert SNAPSHOT_CODE in code["evidence"]
    assert set(_task_files(bundle)) <= set(code["evidence"]), code
    assert "audit/tasks: the lm-eval task files that audit/report.json ran" in code["detail"]


def test_a_task_file_changed_after_the_release_fails_verify_naming_it(bundle: Path) -> None:
    task = _task_files(bundle)[0]
    path = bundle / task
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    write_manifest(bundle)  # hashed again: only the rating can tell
    refused = invoke("--lang", "en", "verify", bundle)
    assert refused.exit_code == 1, refused.output
    assert f"{task}: not the file the audit ran task" in " ".join(refused.output.split())
