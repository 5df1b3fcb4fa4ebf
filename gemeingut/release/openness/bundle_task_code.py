"""A release bundle's evaluation code: its code snapshot's, and the lm-eval task files its audit
ran (`audit/tasks/`), rated as `openness rate` rates them in a folder (`audit_task_code.py`).

In a bundle the audit's record of its files is the lineage's (`lineage.json`, role `audit`,
the sha256 of every file the audit wrote), not an `artifact.json` beside the report; the
report itself is the bundle's copy, which names the bundle's model and which `verify` checks
against the lineage and its logs (`verify_audit.py`). A task file changed after the audit is
then no evidence, the rating says why, and `verify` (which rates the files again and compares
`openness.json`) names it.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import PurePosixPath
from typing import Any

from gemeingut.i18n import Message
from gemeingut.release.layout import AUDIT_REPORT, TRAINING_METADATA
from gemeingut.release.openness.audit_task_code import (
    TaskCode,
    no_record,
    recorded_task_code,
    with_said,
)
from gemeingut.release.openness.evidence import Evidence
from gemeingut.release.openness.licences import Openness
from gemeingut.release.openness.mof import Found, found

LINEAGE = f"{TRAINING_METADATA}/lineage.json"


def with_task_code(
    part: Found, evidence: Evidence, licence: str | None, verdict: Openness | None
) -> Found:
    """`part` (the code snapshot's evaluation code) with the task files of the bundle's audit
    where they are as the audit recorded them, said either way."""
    code = bundle_task_code(evidence)
    if not code.said:
        return part
    whole = found(part.component, sorted({*part.paths, *code.paths}), licence, verdict)
    return with_said(whole, code, [whole.detail])


def bundle_task_code(evidence: Evidence) -> TaskCode:
    """The task files of the bundle's audit report, checked against the lineage's record."""
    if not evidence.has(AUDIT_REPORT):
        return TaskCode([], [])
    report = _json(evidence, AUDIT_REPORT)
    if not isinstance(report, dict):
        return TaskCode([], [])  # named by verify's reading of the report
    records = partial(_lineage_record, evidence)
    return recorded_task_code(evidence.root, evidence.present, {AUDIT_REPORT: report}, records)


def _lineage_record(
    evidence: Evidence, rel: PurePosixPath
) -> tuple[dict[str, str] | None, list[Message]]:
    """The audit's files as the lineage records them."""
    lineage = _json(evidence, LINEAGE) if evidence.has(LINEAGE) else None
    audit = lineage.get("audit") if isinstance(lineage, dict) else None
    files = audit.get("files") if isinstance(audit, dict) else None
    if not isinstance(files, dict):
        return None, [no_record(rel, LINEAGE)]
    return {str(k): str(v) for k, v in files.items()}, []


def _json(evidence: Evidence, rel: str) -> Any:
    try:
        return json.loads((evidence.root / rel).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
