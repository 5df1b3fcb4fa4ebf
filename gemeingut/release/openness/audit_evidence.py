"""A gemeingut audit copied into a foreign model's folder as evidence of its evaluation: the
audit's `report.json` stands for the evaluation results, the task data beside it (`tasks/*.jsonl`,
the items lm-eval scored) for the evaluation data.

A report is recognised by what gemeingut's audit writes into it (`audit/run.py`), the shape
`verify` checks: the model it audited (`model`, with its kind and lineage) and the suites it
ran (`suites`), each with its results; never by a folder's name alone: a file of that name
with anything else is not counted. And only a report of this model counts: its lineage, the
hash of the audited folder's files, is the hash of this folder's files less the audit's own;
for one of gemeingut's own artifacts, its id where the folder is that artifact as recorded
(`audit_artifact.py`). Why a report is not counted is said (`Audits.not_counted`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from gemeingut.i18n import Message, _, plural, quoted
from gemeingut.recipe import AUDIT_SUITES
from gemeingut.release.layout import AUDIT_REPORT
from gemeingut.release.openness.audit_artifact import artifact_problem
from gemeingut.release.verify_shapes import shape_problems

REPORT_NAME = "report.json"
MODEL_FOLDER = "model folder"  # the audited model's kind where its lineage hashes its files
FILES_HASH = "sha256:"  # a lineage that is the hash of the audited folder's files
TASK_DATA = "tasks"  # beside report.json: each task's items as the audit scored them


@dataclass(frozen=True)
class Audits:
    """The listed `report.json` files that a gemeingut audit wrote, judged: those of this
    model (by path, read) and why each other one is no evidence of it. Judged once per rating:
    each judgement hashes every file of the folder, the weights too."""

    reports: dict[str, dict[str, Any]]
    not_counted: list[Message]


def judged_audits(folder: Path, listing: list[str]) -> Audits:
    """The folder's audit reports (`listing`: its files), each judged as `_judged` does."""
    judged = sorted(_judged(folder, listing).items())
    return Audits(
        {rel: report for rel, (report, why) in judged if why is None},
        [why for _rel, (_report, why) in judged if why is not None],
    )


def _judged(folder: Path, listing: list[str]) -> dict[str, tuple[dict[str, Any], Message | None]]:
    """Each listed report a gemeingut audit wrote, and why it is not of this model (None: it
    is)."""
    found = {}
    for rel in listing:
        if PurePosixPath(rel).name != REPORT_NAME or not (folder / rel).is_file():
            continue
        try:
            report = json.loads((folder / rel).read_bytes())
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        if _written_by_audit(report):
            found[rel] = (report, _not_of_this_model(folder, rel, report))
    return found


def _not_of_this_model(folder: Path, rel: str, report: dict[str, Any]) -> Message | None:
    """Why the report did not audit this folder's model (None: it did). A foreign model
    folder's lineage is the hash of its files (`audit/subject.py`), so the folder's files,
    less the audit's own folder, must hash to it; one of our artifacts' is its id
    (`audit_artifact.py`). Another model's report, or one of an endpoint, is no evidence."""
    from gemeingut.hashing import files_with_hashes, sha256_json

    audit_folder = PurePosixPath(rel).parent
    lineage = report["model"]["lineage"]
    if report["model"]["kind"] != MODEL_FOLDER:
        return _("{report}: the audit of an endpoint, not of a model folder", report=rel)
    if audit_folder == PurePosixPath("."):
        return _("{report}: lies among the model's files, not in a folder of its own", report=rel)
    if not lineage.startswith(FILES_HASH):
        return artifact_problem(folder, rel, lineage)
    files = {
        name: digest
        for name, digest in files_with_hashes(folder).items()
        if audit_folder not in PurePosixPath(name).parents
    }
    if lineage == FILES_HASH + sha256_json(files):
        return None
    return _(
        "{report}: the audit of other files than this folder's (their hash is not its lineage)",
        report=rel,
    )


def _written_by_audit(report: Any) -> bool:
    """Whether `report` is what an audit writes: of the shape `verify` checks a bundle's audit
    report against (`verify_shapes.py`), with the model it audited (its kind and lineage) and
    the results of each suite it says it ran (at least one)."""
    if not isinstance(report, dict) or shape_problems(AUDIT_REPORT, report):
        return False
    model, suites = report.get("model"), report.get("suites")
    if not isinstance(model, dict) or not all(
        isinstance(model.get(key), str) for key in ("kind", "lineage")
    ):
        return False
    return (
        isinstance(suites, list)
        and bool(suites)
        and all(suite in AUDIT_SUITES and isinstance(report.get(suite), dict) for suite in suites)
    )


def results_said(rel: str, report: dict[str, Any]) -> Message:
    """What the audit's report holds: the suites it ran, and the tasks' metric values."""
    values = _metric_values(report.get("tasks"))
    suites = quoted([str(suite) for suite in report["suites"]])
    return plural(
        values,
        _("{path}: gemeingut audit report ({suites}), 1 metric value", path=rel, suites=suites),
        _(
            "{path}: gemeingut audit report ({suites}), {count} metric values",
            path=rel,
            suites=suites,
            count=values,
        ),
        _("{path}: gemeingut audit report ({suites})", path=rel, suites=suites),
    )


def task_data(listing: list[str], reports: dict[str, dict[str, Any]]) -> list[str]:
    """The task data files beside each report (`tasks/*.jsonl`)."""
    folders = {PurePosixPath(rel).parent / TASK_DATA for rel in reports}
    return sorted(
        rel for rel in listing if PurePosixPath(rel).parent in folders and rel.endswith(".jsonl")
    )


def _metric_values(tasks: Any) -> int:
    """How many metric values the tasks suite recorded (`tasks.tasks.NAME.metrics.M.value`)."""
    named = tasks.get("tasks") if isinstance(tasks, dict) else None
    count = 0
    for task in (named or {}).values() if isinstance(named, dict) else ():
        metrics = task.get("metrics") if isinstance(task, dict) else None
        for metric in (metrics or {}).values() if isinstance(metrics, dict) else ():
            value = metric.get("value") if isinstance(metric, dict) else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                count += math.isfinite(value)
    return count
