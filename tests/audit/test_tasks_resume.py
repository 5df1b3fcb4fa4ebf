"""An interrupted tasks suite resumes where it stopped, as bias and red team do: lm-eval's
request cache in the audit's folder is its journal, written as each answer comes; a rerun
counts what it holds, says so, and sends only the rest; a Ctrl-C says the same command goes on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.audit import item_log
from gemeingut.audit.capability import folder_model, request_count, run_tasks
from gemeingut.audit.item_log import interrupted_note
from gemeingut.audit.task_suite import default_suite, prepare
from gemeingut.i18n import text
from tests.audit.conftest import task_texts
from tests.audit.tiny_lm import random_model

LIMIT = 6  # items: 24 requests of four choices each
STOP_AFTER = 10


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return random_model(tmp_path_factory.mktemp("model"), "llama", 0, task_texts())


def test_an_interrupted_tasks_suite_resumes_where_it_stopped(
    model: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(item_log, "_opened", set())  # no other test's log: only this run's
    tasks = prepare(["gg_buergerkunde"], default_suite())
    total = request_count(tasks, LIMIT)
    first: list[int] = []

    def interrupted(n: int) -> None:
        first.append(n)
        if len(first) == STOP_AFTER:  # as a Ctrl-C while lm-eval answers
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_tasks(folder_model(model), tasks, tmp_path, 4, LIMIT, interrupted)
    assert "derselbe Befehl setzt fort" in text(interrupted_note(), "de")
    capsys.readouterr()

    again: list[int] = []
    scored = run_tasks(folder_model(model), tasks, tmp_path, 4, LIMIT, again.append)
    said = capsys.readouterr()
    assert f"setzt tasks fort: {STOP_AFTER} von {total} Anfragen" in said.out + said.err
    assert again[0] == STOP_AFTER and again[1:] == [1] * (total - STOP_AFTER)
    assert scored["tasks"]["gg_buergerkunde"]["items"] == LIMIT
