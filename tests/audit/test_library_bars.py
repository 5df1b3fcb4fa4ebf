"""The audit's capability tasks draw no progress bars of the libraries beneath (lm-eval,
datasets, transformers): English lines ("Map: 100%", "Generating train split") redrawn between
the stage's own German ones. Outside the stage tqdm draws as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from tqdm import tqdm

from gemeingut.audit.capability import folder_model, run_tasks
from gemeingut.audit.task_suite import default_suite, prepare

BAR_TEXT = ("it/s]", "%|", "Map", "Generating", "Building contexts", "Running loglikelihood")
NOISE = (*BAR_TEXT, "fatal: not a git repository")


def test_scoring_tasks_draws_no_library_bars(
    german_model: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # no git checkout, as a bundle: git's "fatal: …" stays unsaid
    capfd.readouterr()
    tasks = prepare(["gg_buergerkunde"], default_suite())
    scored = run_tasks(folder_model(german_model), tasks, tmp_path / "hf", 8, 5)
    assert scored["tasks"]["gg_buergerkunde"]["items"] == 5
    said = capfd.readouterr()
    assert not [noise for noise in NOISE if noise in said.err + said.out], said.err[-2000:]
    # tqdm itself is as it was: a bar asked to draw draws (asked, since a CLI imported earlier
    # in this process sets TQDM_DISABLE for the bars that are not)
    list(tqdm(range(2), desc="danach", disable=False))
    assert "danach" in capfd.readouterr().err
