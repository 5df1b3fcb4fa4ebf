"""The lm-eval task files a gemeingut audit ran, left in a foreign model's folder beside its
report, count as evaluation code; edited or missing ones do not, and the rating says why."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.hashing import sha256_file
from gemeingut.release.openness.foreign import rate_folder
from tests.model.tiny_models import make_model
from tests.test_cli import invoke

CARD = "---\nlicense: apache-2.0\nmodel_name: Winzling\n---\n# Winzling\n"
TASK_CODE = ["audit/tasks/gemeingut_documents.py", "audit/tasks/gg_lesen.yaml"]


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A foreign model folder with the audit of its capabilities inside, as a user makes it."""
    folder = make_model(tmp_path_factory.mktemp("audited") / "winzling")
    (folder / "README.md").write_text(CARD, encoding="utf-8")
    result = invoke(
        "audit", "tasks", folder, "--out", folder / "audit", "--task", "gg_lesen",
        "--limit", "2", "--device", "cpu",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder


def _evaluation_code(folder: Path) -> dict:
    rating = rate_folder(folder)
    assert "Evaluation results" not in rating["mof"]["levels"]["2"]["missing"]  # the report counts
    return next(c for c in rating["mof"]["components"] if c["name"] == "Evaluation code")


def test_the_task_files_an_audit_ran_count_as_evaluation_code(audited: Path) -> None:
    code = _evaluation_code(audited)
    assert code["present"] and code["evidence"] == TASK_CODE
    assert code["detail"].startswith(
        "audit/tasks: the lm-eval task files that audit/report.json ran ('gg_lesen'), with the "
        "sha256 the audit recorded"
    )


def test_an_edited_task_file_is_no_evaluation_code(audited: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(audited, tmp_path / "m")
    task = folder / "audit" / "tasks" / "gg_lesen.yaml"
    task.write_text(task.read_text("utf-8").replace("acc_norm", "acc"), "utf-8")
    code = _evaluation_code(folder)
    assert not code["present"]
    assert code["detail"].startswith(
        "audit/tasks/gg_lesen.yaml: not the file the audit ran task gg_lesen with (its sha256 "
        "differs from the audit's record)"
    )


def test_a_missing_task_file_is_no_evaluation_code(audited: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(audited, tmp_path / "m")
    (folder / "audit" / "tasks" / "gemeingut_documents.py").unlink()
    code = _evaluation_code(folder)
    assert not code["present"]
    assert code["detail"].startswith(
        "audit/tasks/gemeingut_documents.py: missing, though the audit ran task gg_lesen with it"
    )


def test_task_files_without_the_audits_record_of_them_do_not_count(
    audited: Path, tmp_path: Path
) -> None:
    folder = shutil.copytree(audited, tmp_path / "m")
    (folder / "audit" / "artifact.json").unlink()
    code = _evaluation_code(folder)
    assert not code["present"]
    assert code["detail"].startswith(
        "audit/report.json: no record of the audit's files (audit/artifact.json)"
    )


def test_a_task_module_outside_the_task_folder_is_not_read(audited: Path, tmp_path: Path) -> None:
    """The YAML's module name is joined to the task folder: `../..`, with the audit's record of
    the edited YAML rewritten to match (as whoever hands over the folder can), would make a
    file outside the folder count as the audit's code."""
    folder = shutil.copytree(audited, tmp_path / "m")
    shutil.copy(folder / "audit" / "tasks" / "gemeingut_documents.py", tmp_path / "x.py")
    task = folder / "audit" / "tasks" / "gg_lesen.yaml"
    text = task.read_text("utf-8")
    task.write_text(text.replace("'gemeingut_documents.", "'../../../x."), "utf-8")
    record_file = folder / "audit" / "artifact.json"
    record = json.loads(record_file.read_text("utf-8"))
    record["files"]["tasks/gg_lesen.yaml"] = f"sha256:{sha256_file(task)}"
    record["files"]["tasks/../../../x.py"] = f"sha256:{sha256_file(tmp_path / 'x.py')}"
    record_file.write_text(json.dumps(record), "utf-8")
    code = _evaluation_code(folder)
    assert not code["present"]
    assert (
        "'../../../x.py', a file of task gg_lesen, is not a name inside the task folder"
        in (code["detail"])
    )


def test_rating_reads_each_file_of_an_audited_folder_once(
    audited: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether a report is of this folder is judged by hashing every file, the weights too:
    once for the whole rating, not again for each component that counts the audit."""
    import gemeingut.hashing

    read: list[str] = []
    hashed = gemeingut.hashing.sha256_file

    def counted(path: Path) -> str:
        read.append(Path(path).relative_to(audited).as_posix())
        return hashed(path)

    monkeypatch.setattr(gemeingut.hashing, "sha256_file", counted)
    assert _evaluation_code(audited)["present"]
    weights = [rel for rel in read if rel.endswith(".safetensors")]
    assert weights and len(weights) == len(set(weights)), read
