"""The audit's lm-eval task folder re-runs from any working directory: its YAMLs found their
documents only when lm_eval ran inside the audit folder (`tasks/…jsonl`, which `datasets`
reads relative to the working directory), so the command failed from a bundle's root. Now a
loader beside the YAMLs reads them from its own folder, which may be moved or copied. Python
caches that loader's bytecode beside it unless told not to: the bundle leaves the audit's cache
out, and the recorded command (`PYTHONDONTWRITEBYTECODE=1 lm_eval …`) writes none into the
bundle, whose `verify` would name it as a file its MANIFEST does not list."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from gemeingut.audit.capability import folder_model, run_tasks
from gemeingut.audit.task_suite import TASK_FOLDER, default_suite, prepare
from gemeingut.release.bundle import copy_audit
from tests.audit.shell_command import run_command
from tests.model.tiny_models import make_model

NAMES = ["gg_buergerkunde", "gg_kurzantwort"]


def test_the_recorded_command_runs_from_the_bundle_root_and_any_other_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lm_eval.tasks import TaskManager

    model = make_model(tmp_path / "model")
    tasks = prepare(NAMES, default_suite())
    made = tmp_path / "made" / "audit"
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as Python runs by default
    scored = run_tasks(folder_model(model), tasks, made, 4, 2)  # the audit's own run
    assert any((made / TASK_FOLDER).glob("__pycache__/*.pyc"))  # naming `made`
    sys.dont_write_bytecode = True  # the checks below in this process write none
    (made / "report.json").write_text(json.dumps({"model": {}}), encoding="utf-8")
    bundle = tmp_path / "bundle"
    copy_audit(made, bundle / "audit")
    shutil.rmtree(tmp_path / "made")  # moved: nothing may lead back to where it was written
    for file in (bundle / "audit" / TASK_FOLDER).iterdir():
        assert str(tmp_path) not in file.read_text(encoding="utf-8"), file.name
    published = sorted((bundle / "audit").rglob("*"))

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    places = {bundle: f"audit/{TASK_FOLDER}", elsewhere: f"../bundle/audit/{TASK_FOLDER}"}
    for cwd, include in places.items():  # lm-eval's own task loading, from each folder
        monkeypatch.chdir(cwd)
        loaded = TaskManager(include_path=include, include_defaults=False).load(NAMES)["tasks"]
        for task in tasks:
            assert list(loaded[task.name].test_docs()) == task.items

    command = scored["lm_eval"]["command"]  # as the report and the card give it
    command = command.replace(  # its paths are seen from the audit folder, `made`
        f"--include_path {TASK_FOLDER}", f"--include_path {places[elsewhere]}"
    ).replace("pretrained=../../model", "pretrained=../model")
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = run_command(command, elsewhere, environment)
    assert all(f"|{name}" in done.stdout.replace(" ", "") for name in NAMES), done.stdout
    assert sorted((bundle / "audit").rglob("*")) == published  # nothing written into it
