"""`verify --rerun` states the largest difference it measured for the task items, as it does
for the bias pairs and the test documents: a log-likelihood moved within the tolerance passes
and is the difference said, in German and English, and in `--json`."""

from __future__ import annotations

import json
import re
from pathlib import Path

from gemeingut.release.manifest import write_manifest
from gemeingut.release.rerun_checked import say_more
from gemeingut.release.rerun_tasks import TOLERANCE, TaskRerun, largest_difference
from tests.test_cli import invoke

LOG = "audit/logs/tasks.jsonl"
SHIFT = 4e-4  # nats, within TOLERANCE


def _moved(bundle: Path) -> int:
    """The log with one choice's log-likelihood moved by SHIFT, the MANIFEST re-hashed; the
    number of the log's items."""
    records = [json.loads(line) for line in (bundle / LOG).read_text("utf-8").splitlines()]
    moved = next(r for r in records if r.get("loglikelihoods"))
    moved["loglikelihoods"][0] += SHIFT
    (bundle / LOG).write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    write_manifest(bundle)
    return len(records)


def test_the_task_re_run_says_its_largest_difference(bundle: Path) -> None:
    assert SHIFT < TOLERANCE
    items = _moved(bundle)
    result = invoke("verify", bundle, "--rerun", str(items), "--seed", "1", "--json")
    assert result.exit_code == 0, result.output
    tasks = json.loads(result.stdout)["rerun"]["tasks"]
    assert tasks["checked"] == items
    assert abs(tasks["largest_difference"] - SHIFT) < 1e-6  # the re-run is equal to the bit
    german = " ".join(invoke("verify", bundle, "--rerun", str(items), "--seed", "1").output.split())
    assert re.search(
        rf"{items} von {items} Aufgabenelementen mit lm-eval neu berechnet: alle innerhalb von "
        r"0,001 Nats von audit/logs/tasks\.jsonl \(die größte Abweichung: 0,0004 Nats\)",
        german,
    ), german
    english = invoke("--lang", "en", "verify", bundle, "--rerun", str(items), "--seed", "1")
    assert "(the largest difference: 0.0004 nats)" in " ".join(english.output.split())


def test_a_sample_of_generated_answers_says_they_are_equal(capsys) -> None:
    """No log-likelihood to differ: the line says the answers and metrics were equal."""
    answered = {"task": "gg_kurzantwort", "doc_id": 0, "answer": "Ja", "metrics": {"em": 1.0}}
    again = {("gg_kurzantwort", 0): dict(answered)}
    assert largest_difference([answered], again) is None
    say_more(TaskRerun(1, 12, TOLERANCE, [], None, None), None, Path("."))
    said = " ".join(capsys.readouterr().err.split())
    assert "jede Antwort und jede Metrik gleich denen in audit/logs/tasks.jsonl" in said, said
    assert "Abweichung" not in said
