"""`verify --rerun N`: a sample of the audit's task items scored again by lm-eval.

The audit's `report.json` states each task's accuracy (the card prints it); `logs/tasks.jsonl`
holds every item lm-eval scored (`audit/task_items.py`). Plain `verify` checks that the log's
items give the report's numbers (`verify_audit.py`: no model needed, every item covered); here
N items drawn from the log are scored again by lm-eval, from the recorded command (its tasks
and batch size), on the bundle's model and the task files the bundle holds, and each is
compared with its record: every choice's log-likelihood within TOLERANCE, the generated
answer equal, every metric equal.
A forger who changes an accuracy must change items of the log to match, and the re-run of
those items names them. The re-run is on the CPU in fp32, as `folder_model` gives lm-eval.
"""

from __future__ import annotations

import json
import logging
import random
import shlex
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gemeingut.audit.task_items import TASK_LOG as LOG_IN_AUDIT
from gemeingut.errors import VerifyError
from gemeingut.i18n import Message, _
from gemeingut.json_records import record_lines
from gemeingut.release.layout import AUDIT, AUDIT_REPORT, MODEL

TASK_LOG = f"{AUDIT}/{LOG_IN_AUDIT}"
TASK_FOLDER = f"{AUDIT}/tasks"
# Nats a choice's log-likelihood may differ by. Measured on the tiny test bundle, CPU against
# CPU in fp32 with the recorded batch size: each of its 12 items scored again alone, in samples
# of 2, 4 and 12, came out equal to the last bit, and every metric and answer equal. 1e-3
# leaves room for other CPUs' kernels and still names a change in the third decimal.
TOLERANCE = 1e-3
DEVICE = "cpu"
PRECISION = "fp32"  # as `folder_model` loads the model for lm-eval


@dataclass(frozen=True)
class TaskRerun:
    checked: int
    total: int
    tolerance: float
    problems: list[Message]
    device_note: Message | None = None  # the audit ran lm-eval elsewhere than this re-run
    # nats of the largest difference of a choice's log-likelihood; None where the sample
    # holds no multiple-choice item (a generated answer is compared for equality)
    largest: float | None = None


def has_task_log(bundle: Path) -> bool:
    return (bundle / AUDIT_REPORT).is_file() and (bundle / TASK_LOG).is_file()


def rerun_task_sample(bundle: Path, n: int, seed: int) -> TaskRerun:
    """N of the log's items (drawn with `seed`) scored again and compared with their records."""
    report = json.loads((bundle / AUDIT_REPORT).read_text(encoding="utf-8"))
    tasks = report["tasks"]
    logged = [json.loads(line) for line in record_lines((bundle / TASK_LOG).read_text("utf-8"))]
    # an item of a task the report lacks, or past its items, plain verify names (before this
    # runs); it is not sent to lm-eval
    known = [r for r in logged if 0 <= int(r["doc_id"]) < _items(tasks["tasks"], r["task"])]
    sample = random.Random(seed).sample(known, min(n, len(known)))
    words = command_words(tasks["lm_eval"]["command"])
    batch_size = int(words.get("--batch_size", "1"))
    again = _score(bundle, sample, batch_size) if sample else {}
    problems = [p for old in sample for p in item_problems(old, again.get(_key(old)))]
    note = _device_note(str(report.get("model", {}).get("device") or ""), words)
    largest = largest_difference(sample, again)
    return TaskRerun(len(sample), len(logged), TOLERANCE, problems, note, largest)


def largest_difference(
    sample: list[dict[str, Any]], again: dict[tuple[str, int], dict[str, Any]]
) -> float | None:
    """The largest difference, in nats, between a choice's log-likelihood in the log and as
    scored again, over the sampled items that have choices (None: none has)."""
    differences = [
        abs(float(a) - float(b))
        for old in sample
        if (new := again.get(_key(old))) is not None
        for a, b in zip(old.get("loglikelihoods", []), new.get("loglikelihoods", []), strict=False)
    ]
    return max(differences, default=None)


def item_problems(old: dict[str, Any], new: dict[str, Any] | None) -> list[Message]:
    """Where an item's record and its re-run differ: a log-likelihood beyond TOLERANCE, the
    answer, a metric."""
    name = _item_name(old)
    if new is None:
        return [_("task item {item}: lm-eval gave no result for it", item=name)]
    problems = []
    logged, computed = old.get("loglikelihoods", []), new.get("loglikelihoods", [])
    if len(logged) != len(computed):
        problems.append(_(
            "task item {item}: the log has {logged} choices, the task {computed}",
            item=name, logged=str(len(logged)), computed=str(len(computed)),
        ))  # fmt: skip
    for k, (a, b) in enumerate(zip(logged, computed, strict=False)):
        if abs(float(a) - b) > TOLERANCE:
            problems.append(_(
                "task item {item}: the log says choice {choice} has log-likelihood {logged}, "
                "the model gives {computed}", item=name, choice=str(k), logged=f"{a:.4f}",
                computed=f"{b:.4f}",
            ))  # fmt: skip
    if "answer" in old and old["answer"] != new.get("answer"):
        problems.append(_("task item {item}: the log says the model answered {logged!r}, it "
                          "answers {computed!r}", item=name, logged=str(old["answer"]),
                          computed=str(new.get("answer"))))  # fmt: skip
    for metric, value in old["metrics"].items():
        if float(value) != new["metrics"].get(metric):
            problems.append(_(
                "task item {item}: the log says {metric} {logged}, the model gives {computed}",
                item=name, metric=metric, logged=f"{value:g}",
                computed=f"{new['metrics'].get(metric, float('nan')):g}",
            ))  # fmt: skip
    return problems


def command_words(command: str) -> dict[str, str]:
    """The options of the recorded `lm_eval` command (after its environment assignments)."""
    words = shlex.split(command)
    while words and "=" in words[0] and not words[0].startswith("-"):
        words.pop(0)
    if not words or words[0] != "lm_eval":
        raise VerifyError(
            _("{report} records no lm_eval command: {command!r}",
              report=AUDIT_REPORT, command=command),
            _("the audit report was altered, or it is not of this bundle"),
        )  # fmt: skip
    return {
        word: value
        for word, value in zip(words, [*words[1:], ""], strict=True)
        if word.startswith("--") and not value.startswith("--")
    }


def _device_note(audit_device: str, words: dict[str, str]) -> Message | None:
    """What to know when the audit's lm-eval did not run the model folder on the CPU."""
    if words.get("--model") != "hf":
        return _(
            "the audit scored the tasks through {model}, this re-run the bundle's model on the "
            "CPU: a difference may come from the server",
            model=str(words.get("--model")),
        )
    if audit_device in ("", DEVICE):
        return None
    return _("the audit scored the tasks on {device}, this re-run on the CPU: a difference may "
             "come from the device", device=audit_device)  # fmt: skip


def _items(recorded: dict[str, Any], task: str) -> int:
    return int(recorded[task]["items"]) if task in recorded else 0


def _item_name(record: dict[str, Any]) -> str:
    own = f" ({record['id']})" if record.get("id") else ""
    return f"{record['task']} #{record['doc_id']}{own}"


def _key(record: dict[str, Any]) -> tuple[str, int]:
    return str(record["task"]), int(record["doc_id"])


def _score(bundle: Path, sample: list[dict], batch_size: int) -> dict[tuple[str, int], dict]:
    """lm-eval on the bundle's model and task files, for the sampled items alone. The task
    files are copied first: lm-eval imports their loader, and Python would leave its bytecode
    in the bundle."""
    import lm_eval
    from lm_eval.tasks import TaskManager

    from gemeingut.audit.capability import _git_asked_quietly, folder_model
    from gemeingut.audit.task_items import item_record
    from gemeingut.library_bars import library_bars_off

    wanted: dict[str, list[int]] = defaultdict(list)
    for record in sample:
        wanted[str(record["task"])].append(int(record["doc_id"]))
    how = folder_model(bundle / MODEL, DEVICE)
    quiet = logging.getLogger("lm_eval")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="gemeingut-rerun-tasks-") as tmp:
        include = Path(shutil.copytree(bundle / TASK_FOLDER, Path(tmp) / "tasks"))
        try:
            with library_bars_off(), _git_asked_quietly():
                results = lm_eval.simple_evaluate(
                    model=how.model,
                    model_args=how.model_args(),
                    tasks=sorted(wanted),
                    task_manager=TaskManager(include_path=str(include), include_defaults=False),
                    batch_size=batch_size,
                    device=DEVICE,
                    samples={task: sorted(ids) for task, ids in wanted.items()},
                    log_samples=True,
                    bootstrap_iters=0,
                )
        finally:
            quiet.setLevel(level)
    return {
        (task, int(s["doc_id"])): item_record(task, s, None)
        for task, samples in results["samples"].items()
        for s in samples
    }
