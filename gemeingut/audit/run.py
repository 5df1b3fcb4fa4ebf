"""One audit: the chosen suites run against one model (folder or endpoint), into one folder.

Each suite logs its finished items as it goes (`logs/`), so the audit artifact, built in a
`.partial` folder and renamed when complete, resumes an interrupted run without re-scoring.
The result is one dictionary (`report.json`) that the Markdown reports, the plots and the
model card are written from.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from gemeingut.audit import (
    bias,
    canaries,
    capability,
    findings,
    memorisation,
    redteam,
    task_suite,
)
from gemeingut.audit.endpoint import EndpointTarget
from gemeingut.audit.item_log import ItemLog
from gemeingut.audit.memorisation_summary import summarize_memorisation
from gemeingut.audit.report_markdown import GARAK_REPORT
from gemeingut.audit.span_trace import SpanIndex
from gemeingut.audit.subject import Subject, iter_documents
from gemeingut.audit.target import Target
from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.recipe import AuditSection

LOGS = "logs"
FINDINGS_FILE = "findings.jsonl"


def lm_eval_model(subject: Subject, target: Target) -> capability.LmEvalModel:
    """How lm-eval reaches the subject: `hf` on its folder, `local-completions` on its server."""
    if subject.model_dir is not None:  # on the device the audit's own scoring runs on
        return capability.folder_model(subject.model_dir, target.describe().get("device", "cpu"))
    assert isinstance(target, EndpointTarget)
    context = (target.info or {}).get("model_max_length")
    return capability.endpoint_model(
        target.api,
        subject.name,
        context,
        target.info is not None,
        subject.tokenizer,
        subject.api_key or None,
    )


def check_inputs(section: AuditSection) -> None:
    """Read every suite once before a model is loaded: a broken line fails in a second."""
    if "tasks" in section.suites:
        task_suite.prepare(task_suite.task_names(section.tasks.names), _tasks_suite(section))
    if "bias" in section.suites:
        bias.read_pairs(section.bias.suite or bias.default_suite())
    if "redteam" in section.suites:
        redteam.read_probes(section.redteam.suite or redteam.default_suite())
    if section.memorisation.canaries is not None and "memorisation" in section.suites:
        canaries.read_record(section.memorisation.canaries)
    if section.findings is not None:
        if not section.findings.is_file():
            raise InputError(
                _("findings file {path} does not exist", path=section.findings),
                _("check the path"),
            )
        findings.read_findings(section.findings)


def run_audit(subject: Subject, section: AuditSection, out: Path) -> dict[str, Any]:
    """Run the section's suites (its inputs checked by `check_inputs` beforehand)."""
    target = subject.target(section.batch_tokens, section.precision, section.device)
    report: dict[str, Any] = {"model": target.describe(), "suites": list(section.suites)}
    if {"tasks", "memorisation"} & set(section.suites):  # the suites that read it
        report["training_data"] = training_data(subject)
    logs = out / LOGS
    if "tasks" in section.suites:
        report["tasks"] = _tasks(subject, target, section, out)
    if "bias" in section.suites:
        pairs = bias.read_pairs(section.bias.suite or bias.default_suite())
        records = bias.score_pairs(target, pairs, ItemLog(logs / "bias.jsonl"))
        report["bias"] = {
            "suite": _suite_name(section.bias.suite, "bias/de"),
            **bias.summarize(records),
        }
    if "memorisation" in section.suites:
        report["memorisation"] = _memorisation(subject, target, section, logs)
    if "redteam" in section.suites:
        report["redteam"] = _redteam(target, section, out)
    if section.findings is not None:
        found = findings.read_findings(section.findings)
        findings.write_findings(out / FINDINGS_FILE, found)
        report["findings"] = findings.summarize_findings(found)
    return report


def training_data(subject: Subject) -> dict[str, Any]:
    """Which training documents memorisation and the overlap check read, for the report: no
    path (it names a folder of this machine), their kind and number of files."""
    return {"kind": subject.documents_checked(), "files": len(subject.training_files)}


def _tasks(subject: Subject, target: Target, section: AuditSection, out: Path) -> dict[str, Any]:
    settings = section.tasks
    tasks = task_suite.prepare(task_suite.task_names(settings.names), _tasks_suite(section))
    scored = capability.run_tasks(
        lm_eval_model(subject, target), tasks, out, settings.batch_size, settings.limit
    )
    scored_items = [replace(t, items=t.items[: settings.limit]) for t in tasks]
    scored["contamination"] = capability.contamination(scored_items, subject.training_files)
    scored["suite"] = _suite_name(settings.suite, "tasks")
    return scored


def _tasks_suite(section: AuditSection) -> Path:
    return section.tasks.suite or task_suite.default_suite()


def _memorisation(
    subject: Subject, target: Target, section: AuditSection, logs: Path
) -> dict[str, Any]:
    settings = section.memorisation
    result: dict[str, Any] = {}
    continuations: list[str] = []
    if subject.training_files:
        k, m = settings.prefix_tokens, settings.continuation_tokens
        prompts, eligible = memorisation.sample_prompts(
            subject.training_files,
            target.tokenize,
            settings.samples,
            k,
            m,
            section.seed,
            settings.random_offset,
        )
        records = memorisation.run_memorisation(
            target, prompts, m, ItemLog(logs / "memorisation.jsonl")
        )
        if not records:
            result["not_run"] = "no_long_documents"
        else:
            result = summarize_memorisation(records, k, m, eligible, settings.random_offset)
        if any(r["near_verbatim"] for r in records):
            index = SpanIndex.build(iter_documents(subject.training_files), target.tokenize)
            result["traced"] = memorisation.trace_memorised(
                index, target, records, settings.span_min_tokens
            )
        continuations = [target.detokenize(r["continuation"]) for r in records]
    else:
        result["not_run"] = "training_unknown"
    if settings.canaries is not None:
        result["canaries"] = canaries.exposure(
            target,
            canaries.read_record(settings.canaries),
            settings.candidates,
            subject.training_files,
        )
    result["personal_data"] = memorisation.pii_leakage(
        target, continuations, settings.pii_max_tokens, ItemLog(logs / "pii.jsonl")
    )
    return result


def _redteam(target: Target, section: AuditSection, out: Path) -> dict[str, Any]:
    settings = section.redteam
    probes = redteam.limit_probes(
        redteam.read_probes(settings.suite or redteam.default_suite()), settings.per_category
    )
    planted = redteam.planted_values(section.seed)
    records = redteam.run_probes(
        target,
        probes,
        planted,
        settings.max_tokens,
        ItemLog(out / LOGS / "redteam.jsonl"),
        chat=not settings.plain_prompts,
    )
    lines = redteam.garak_report(records, probes, planted, target.name, section.seed)
    with (out / GARAK_REPORT).open("w", encoding="utf-8") as report:
        for line in lines:
            report.write(json.dumps(line, ensure_ascii=False) + "\n")
    return {
        "suite": _suite_name(settings.suite, "redteam"),
        "probes": len(probes),
        "max_tokens": settings.max_tokens,
        "prompt_format": "plain transcript" if settings.plain_prompts else "chat template",
        **redteam.summarize_redteam(records),
    }


def _suite_name(path: Path | None, shipped: str) -> str:
    return str(path) if path is not None else f"gemeingut {shipped} (CC0-1.0)"
