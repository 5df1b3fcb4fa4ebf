"""`gemeingut audit run` says how far it is: a bar per suite (here, where stderr is no terminal,
its plain lines) with the items done of all, and each suite's results as it finishes; not five
silent minutes and then a summary. A short audit in a log says no progress line at all, as
every stage's progress (`gemeingut.progress`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut import progress
from gemeingut.audit import redteam, task_suite
from gemeingut.cli import app

LIMIT = 2  # task items per task


def write_inputs(folder: Path) -> Path:
    """Three bias pairs, training documents, and the audit's settings; returns the settings."""
    pairs = [
        {
            "id": f"p{i}",
            "category": "age",
            "stereotype": f"Alte {w}.",
            "anti_stereotype": f"Junge {w}.",
        }
        for i, w in enumerate(["sind langsam", "sind stur", "sind krank"])
    ]
    (folder / "pairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs), "utf-8")
    docs = [
        {
            "id": f"d{i}",
            "text": f"Die Gemeinde {i} veröffentlicht ihren Haushalt jedes Jahr im Amtsblatt.",
            "license": "CC0-1.0",
        }
        for i in range(3)
    ]
    (folder / "docs.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs), "utf-8")
    config = folder / "audit.toml"
    config.write_text(
        f"[audit.tasks]\nlimit = {LIMIT}\n"
        '[audit.bias]\nsuite = "pairs.jsonl"\n'
        "[audit.memorisation]\nsamples = 1\nprefix_tokens = 4\ncontinuation_tokens = 4\n"
        "[audit.redteam]\nper_category = 1\nmax_tokens = 4\n",
        "utf-8",
    )
    return config


def test_each_suite_shows_its_items_done_and_its_results_as_it_finishes(
    german_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_inputs(tmp_path)
    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 0.0)  # a line for every step
    result = CliRunner().invoke(
        app,
        [
            "audit", "run", str(german_model), "--training-data", str(tmp_path / "docs.jsonl"),
            "--config", str(config), "--out", str(tmp_path / "aud"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said = result.stderr.splitlines()

    def where(pattern: str) -> list[int]:
        return [i for i, line in enumerate(said) if re.match(pattern, line)]

    tasks = task_suite.prepare(task_suite.task_names(None), task_suite.default_suite())
    # lm-eval asks one log-likelihood per choice of an item, one answer per open question
    requests = sum(
        len(i["choices"]) if "choices" in i else 1 for t in tasks for i in t.items[:LIMIT]
    )
    probes = len(redteam.limit_probes(redteam.read_probes(redteam.default_suite()), 1))
    titles = {  # each bar titled as the suite's part of the report
        "tasks": "Fähigkeiten",
        "bias": r"Verzerrungen \(Bias\)",
        "memorisation": "Memorisierung und Datenschutz",
        "redteam": "Red Team",
    }
    totals = {"tasks": requests, "bias": 3, "memorisation": 1, "redteam": probes}
    units = {
        "tasks": "Anfragen",
        "bias": "Paare",
        "memorisation": "Stichproben",
        "redteam": "Proben",
    }
    finished = {
        suite: where(rf"{title}: {totals[suite]}/{totals[suite]} {units[suite]} \(100 %\), bisher ")
        for suite, title in titles.items()
    }
    assert all(finished.values()), result.stderr
    # lm-eval's answers move the bar one by one, not only when it is done, and never past all
    counted = [int(m[1]) for line in said if (m := re.match(r"Fähigkeiten: (\d+)/", line))]
    assert counted == list(range(1, requests + 1)), result.stderr
    results = {
        "tasks": where(r"  Fähigkeit gg_lesen: acc \d,\d{3}$"),
        "bias": where(r"  Verzerrung Alter: Stereotyp bevorzugt "),
        "memorisation": where(r"  Memorisierung: exakt "),
        "redteam": where(r"  Red Team Jailbreak: Angriffserfolg "),
    }
    order = ["tasks", "bias", "memorisation", "redteam"]
    assert all(results.values()), result.stderr
    for suite, after in zip(order, [*order[1:], None], strict=True):
        # a suite's results follow its bar, before the next suite starts
        assert finished[suite][-1] < results[suite][0]
        if after is not None:
            assert results[suite][-1] < where(rf"{titles[after]}: \d")[0]
    built = where(r"✓ Prüfung aud-\w+ gebaut: ")
    assert built and built[0] > results["redteam"][-1]
    assert result.stdout == ""
    report = (tmp_path / "aud" / "report.de.md").read_text(encoding="utf-8")
    assert "1 Trainingsdokument (von " in report  # a count before a noun: singular for one


def test_a_short_audit_in_a_log_says_no_progress_line_and_no_bar(
    german_model: Path, tmp_path: Path
) -> None:
    config = write_inputs(tmp_path)
    command = ["audit", "run", str(german_model), "--suite", "bias", "--config", str(config)]
    result = CliRunner().invoke(app, [*command, "--out", str(tmp_path / "aud")])
    assert result.exit_code == 0, result.output
    assert "bisher" not in result.stderr and "━" not in result.stderr
    assert "\x1b[" not in result.stderr  # no terminal: no control sequences
    assert "  Verzerrung Alter: Stereotyp bevorzugt " in result.stderr
