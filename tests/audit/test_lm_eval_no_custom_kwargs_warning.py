"""lm-eval warned on each of our tasks, in every audit and every re-run of its command:
"gg_lesen: Custom kwargs can be passed to `--metadata` in console …". It says so for every task
given a `custom_dataset` function, which our YAMLs named to read their documents from beside
them; our tasks take no kwargs. The YAMLs now name a task class beside them instead, which reads
the documents from its own folder, wherever lm-eval runs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gemeingut.audit.task_suite import default_suite, prepare, task_names, write_task_folder


def test_lm_eval_loads_our_tasks_without_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from lm_eval.tasks import TaskManager

    tasks = prepare(task_names(None), default_suite())
    folder = tmp_path / "audit" / "tasks"
    write_task_folder(tasks, folder)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the documents are found from any working directory
    names = [task.name for task in tasks]
    with caplog.at_level(logging.WARNING):
        loaded = TaskManager(include_path=str(folder), include_defaults=False).load(names)
    for task in tasks:
        assert list(loaded["tasks"][task.name].test_docs()) == task.items
    said = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.name.startswith("lm_eval")]
    assert said == [], said
