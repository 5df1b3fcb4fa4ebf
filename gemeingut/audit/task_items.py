"""Each task item as lm-eval scored it, one JSON line per item (`logs/tasks.jsonl`).

`report.json` keeps only each task's mean; without the items, `verify --rerun` could score
a sample of them again but had nothing to compare the sample with. Per item: its task,
lm-eval's `doc_id` (its index in the task's documents), its own id, every metric lm-eval gave
it, and what the model answered: the log-likelihood of each choice (multiple choice) or the
generated text (the tasks to answer).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gemeingut.audit.task_suite import PreparedTask

TASK_LOG = "logs/tasks.jsonl"  # beside report.json


def item_records(samples: dict[str, list[dict[str, Any]]], tasks: list[PreparedTask]) -> list[dict]:
    """lm-eval's `samples` (from `log_samples=True`) as the log's records, by task and item."""
    records = []
    for task in tasks:
        for sample in sorted(samples.get(task.name, []), key=lambda s: s["doc_id"]):
            records.append(item_record(task.name, sample, task.items[sample["doc_id"]].get("id")))
    return records


def item_record(task: str, sample: dict[str, Any], item_id: str | None) -> dict[str, Any]:
    """One item of lm-eval's `samples`: its metrics and the model's answer."""
    record: dict[str, Any] = {"task": task, "doc_id": int(sample["doc_id"]), "id": item_id}
    record["metrics"] = {m: float(sample[m]) for m in sample["metrics"] if m in sample}
    answers = sample["filtered_resps"]
    if answers and isinstance(answers[0], list | tuple):  # (log-likelihood, is greedy) each
        record["loglikelihoods"] = [float(answer[0]) for answer in answers]
    else:
        record["answer"] = str(answers[0]) if answers else ""
    return record


def write_items(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    path.write_text(lines, encoding="utf-8")
