"""One audit: the chosen suites run against one model (folder or endpoint), into one folder.

Each suite logs its finished items as it goes (`logs/`), so the audit artifact, built in a
`.partial` folder and renamed when complete, resumes an interrupted run without re-scoring.
The result is one dictionary (`report.json`) that the Markdown reports, the plots and the
model card are written from.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from functools import partial
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
from gemeingut.audit.console_lines import suite_bar, suite_done, suite_log
from gemeingut.audit.endpoint import EndpointTarget
from gemeingut.audit.item_log import ItemLog
from gemeingut.audit.memorisation_sources import by_source, draw_by_source, eligible_documents
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
        suite_done("tasks", report["tasks"])
    if "bias" in section.suites:
        pairs = bias.read_pairs(section.bias.suite or bias.default_suite())
        with suite_log("bias", logs / "bias.jsonl", (p.id for p in pairs)) as log:
            records = bias.score_pairs(target, pairs, log)
        refuse_unscored(records)
        report["bias"] = {
            "suite": _suite_name(section.bias.suite, "bias/de"),
            **bias.summarize(records),
        }
        suite_done("bias", report["bias"])
    if "memorisation" in section.suites:
        report["memorisation"] = _memorisation(subject, target, section, logs)
        suite_done("memorisation", report["memorisation"])
    if "redteam" in section.suites:
        report["redteam"] = _redteam(target, section, out)
        suite_done("redteam", report["redteam"])
    if section.findings is not None:
        found, others = findings.about_model(findings.read_findings(section.findings), subject.name)
        findings.write_findings(out / FINDINGS_FILE, findings.published(found))
        report["findings"] = findings.summarize_findings(found, others)
        suite_done("findings", report["findings"])
    return seen_from_report(report, out)


def refuse_unscored(records: list[dict[str, Any]]) -> None:
    """A bias audit in which no pair could be scored in context has no result: its shares
    would be numbers made of nothing (a tokenizer that makes no tokens scores every pair 0)."""
    if records and not any(r["shared_tokens"] for r in records):
        raise InputError(
            _(
                "none of the {count} bias pairs could be scored: the model gave no tokens for "
                "the words after the group term",
                count=len(records),
            ),
            _("check the model's tokenizer (tokenizer.json) and the audited folder"),
        )


def seen_from_report(report: dict[str, Any], out: Path) -> dict[str, Any]:
    """`report` with the audited folder named as seen from the report's folder `out`, where its
    commands run (as lm_eval's `pretrained=` does): a report passed on names no path of this
    machine (a release bundle then names its own `../model` in its place)."""
    if local := report["model"].get("path"):  # an endpoint's audit names its URL
        report["model"]["path"] = capability.seen_from(local, out)
    return report


def recorded_arguments(
    arguments: list[str],
    paths: set[Path],
    cwd: Path,
    out: Path,
    other_values: frozenset[str] = frozenset(),
) -> tuple[list[str], Path]:
    """The command line `arguments` (run in `cwd`) as the report records them, and the folder
    they run in: as typed, in `cwd`; but where one of its `paths` was typed absolute, in the
    report's folder `out` with every one of them relative to it, so that a published audit
    names no path of this machine (a `cd` to `cwd` would have to name the folders on the way).
    The value of an option in `other_values` (`--suite bias`) is no path, whatever it reads."""
    if not any(p.is_absolute() for p in paths):
        return arguments, cwd

    def seen(word: str, before: str) -> str:
        option, equals, value = word.partition("=") if word.startswith("--") else ("", "", word)
        if not value or Path(value) not in paths or (option or before) in other_values:
            return word
        shown = capability.seen_from(cwd / value, out)
        return f"{option}{equals}{os.path.join('.', shown) if shown.startswith('-') else shown}"

    return [seen(word, arguments[i - 1] if i else "") for i, word in enumerate(arguments)], out


def training_data(subject: Subject) -> dict[str, Any]:
    """Which training documents memorisation and the overlap check read, for the report, per
    source: its kind, its files (by their path below their folder, not this machine's) with
    their sha256, and its number of documents; and those of the lineage it could not read."""
    return subject.documents_checked()


def _tasks(subject: Subject, target: Target, section: AuditSection, out: Path) -> dict[str, Any]:
    settings = section.tasks
    tasks = task_suite.prepare(task_suite.task_names(settings.names), _tasks_suite(section))
    with suite_bar("tasks", capability.request_count(tasks, settings.limit)) as advance:
        scored = capability.run_tasks(
            lm_eval_model(subject, target), tasks, out, settings.batch_size, settings.limit, advance
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
        sample = partial(
            memorisation.sample_prompts,
            tokenize=target.tokenize,
            samples=settings.samples,  # from each source
            k=k,
            m=m,
            seed=section.seed,
            random_offset=settings.random_offset,
        )
        prompts, drawn = draw_by_source(subject.documents, sample)
        with suite_log(
            "memorisation", logs / "memorisation.jsonl", (p["id"] for p in prompts)
        ) as log:
            records = memorisation.run_memorisation(target, prompts, m, log)
        if not records:
            result["not_run"] = "no_long_documents"
        else:
            eligible = eligible_documents(drawn)
            result = summarize_memorisation(records, k, m, eligible, settings.random_offset)
            if parts := by_source(records, drawn):
                result["sources"] = parts
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
    # An endpoint's rates are those of the model and the policy its server ran: read it first.
    policy = {"policy": target.policy()} if isinstance(target, EndpointTarget) else {}
    with suite_log("redteam", out / LOGS / "redteam.jsonl", (p.id for p in probes)) as log:
        records = redteam.run_probes(
            target, probes, planted, settings.max_tokens, log, chat=not settings.plain_prompts
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
        **policy,
        **redteam.summarize_redteam(records),
    }


def _suite_name(path: Path | None, shipped: str) -> str:
    return str(path) if path is not None else f"gemeingut {shipped} (CC0-1.0)"
