"""The audit's evidence checked against itself: `verify` recomputes `report.json`'s figures from
the item logs beside it and renders the Markdown reports again from `report.json`.

The card and the technical report are rendered from `report.json` (and compared by
`claims.py`); this closes the chain down to the logs, one line per scored item. A log line
deleted, a delta shifted or a rate edited in one of the reports is then named, even where the
MANIFEST was re-hashed and no signature is checked. The summaries are computed by the audit's
own functions (`bias.summarize`, `redteam.summarize_redteam`, `summarize_memorisation`,
`report_markdown.markdown`), so the two can only agree when the numbers are the ones the audit
stage would have written. The task accuracies the card prints are the means of the items
lm-eval scored (`logs/tasks.jsonl`, `audit/task_items.py`); an audit older than that log has
them recorded only, which `verify` says (`audit_notes`).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from gemeingut.audit import bias, redteam
from gemeingut.audit.memorisation_summary import summarize_memorisation
from gemeingut.audit.report_markdown import markdown, report_file
from gemeingut.audit.report_text import LANGUAGES
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.json_records import record_lines, why_unreadable
from gemeingut.release.layout import AUDIT, AUDIT_REPORT, TRAINING_METADATA
from gemeingut.release.openness.claims import document_problems
from gemeingut.release.rerun import shipped_suite
from gemeingut.release.rerun_tasks import TASK_LOG
from gemeingut.release.verify_audit_judged import memorisation_again, redteam_verdicts
from gemeingut.release.verify_training_data import audited_sources, training_data_problems

LOGS = f"{AUDIT}/logs"
BAIT_LOG = f"{LOGS}/pii.jsonl"
LINEAGE = f"{TRAINING_METADATA}/lineage.json"
SHOWN = 5  # differences named per log; the rest follow from the same edit
# report.json rounds to 6 decimals: a recomputed value may land on the other side of a rounding
_ROUNDING = 2e-6

Problems = list[str | Message]


def audit_problems(bundle: Path, listed: Mapping[str, str], alone: bool = False) -> Problems:
    """Each figure of `audit/report.json` its logs do not give, each training document it says
    the audit read that the bundle does not hold, and each Markdown report that is not the one
    `report.json` gives (its first differing line named). `listed`: the MANIFEST's sha256 by
    path, as `verify` read them from the bytes it checked. `alone`: an audit folder, without the
    training documents and the model's tokenizer a bundle holds beside it
    (`verify_audit_folder`): the documents it read are not compared with them, its
    memorisation samples not drawn and judged again."""
    if AUDIT_REPORT not in listed:
        if any(rel.startswith(f"{AUDIT}/") for rel in listed):
            return [_("missing: {file}", file=AUDIT_REPORT)]
        return []  # released without an audit: the card says so
    report = _read_report(bundle)
    if not isinstance(report, dict):
        return [report]
    reports = {
        f"{AUDIT}/{report_file(language)}": partial(markdown, report, language)
        for language in LANGUAGES
    }
    sections: tuple[tuple[str, Callable[[Path, dict[str, Any]], Problems]], ...] = (
        *(() if alone else (("training_data", partial(training_data_problems, listed=listed)),)),
        ("bias", _bias_problems),
        ("redteam", _redteam_problems),
        ("memorisation", partial(_memorisation_problems, judged=not alone)),
        ("tasks", _task_problems),
    )
    problems = document_problems(bundle, reports)
    for section, check in sections:
        try:
            problems += check(bundle, report)
        except (KeyError, TypeError, ValueError, AttributeError):  # a section cut or retyped
            problems.append(
                _(
                    "{file}: the section {section} is not as the audit writes it",
                    file=AUDIT_REPORT,
                    section=section,
                )
            )
    return [*problems, *_lineage_problems(bundle, report)]


def audit_notes(bundle: Path, listed: Mapping[str, str]) -> list[Message]:
    """What `verify` says of task accuracies it cannot recompute: an audit of an older
    gemeingut, which kept no item log beside them."""
    if AUDIT_REPORT not in listed or TASK_LOG in listed:
        return []
    report = _read_report(bundle)
    if not isinstance(report, dict) or not (report.get("tasks") or {}).get("tasks"):
        return []
    return [
        _(
            "the task accuracies of {report} cannot be recomputed: the bundle holds no {log} "
            "(an audit of an older gemeingut), so only a signature vouches for them",
            report=AUDIT_REPORT,
            log=TASK_LOG,
        )
    ]


def _read_report(bundle: Path) -> dict[str, Any] | Message:
    """`report.json`, or what keeps it from being read."""
    try:
        report = json.loads((bundle / AUDIT_REPORT).read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        error = why_unreadable(exc)
        return _("{file} cannot be read back: {error}", file=AUDIT_REPORT, error=error)
    if not isinstance(report, dict):
        return _("{file} is not a JSON object", file=AUDIT_REPORT)
    return report


def _bias_problems(bundle: Path, report: dict[str, Any]) -> Problems:
    if not report.get("bias"):
        return []
    log = f"{LOGS}/bias.jsonl"
    summary = report["bias"]
    method = summary.get("method", bias.WILSON_V1)  # reports before methods had one: v1
    if method not in bias.METHODS:
        return [
            _(
                "{report}: bias.method {method!r} is not one this gemeingut knows ({methods})",
                report=AUDIT_REPORT,
                method=str(method),
                methods=", ".join(bias.METHODS),
            )
        ]
    fields = _BIAS_FIELDS if method == bias.WILSON_V1 else {**_BIAS_FIELDS, "terms": list}
    records, problems = _read_log(bundle, log, fields)
    if not problems and method == bias.GRAMMAR_V3:
        problems = [
            _log_line(log, number, "control_delta")
            for number, record in enumerate(records, start=1)
            if not isinstance(record.get("control_delta", 0.0), int | float | None)
            or isinstance(record.get("control_delta"), bool)
        ]
    if problems:
        return problems
    problems = _figure_problems("bias", summary, bias.summarize(records, method), log)
    suite = shipped_suite(bundle, str(summary.get("suite", "")))
    if suite is not None:  # every pair of the suite, once: no pair left out or made up
        problems.extend(_suite_problems(suite, records, method))
    return problems


def _suite_problems(suite: Path, records: list[dict[str, Any]], method: str) -> Problems:
    try:
        read = bias.read_pairs(suite)
    except InputError as exc:
        return [exc.message]
    pairs = {p.id: p.category for p in read}
    logged = {r["id"]: r["category"] for r in records}
    problems: Problems = []
    if method == bias.GRAMMAR_V3:  # a control left out of the log would count its pair as v2
        controlled = {r["id"] for r in records if "control_delta" in r}
        unscored = [p.id for p in read if p.control and p.id in logged and p.id not in controlled]
        if unscored:
            problems.append(
                _(
                    "the bias log lacks the controls of pairs of the bundle's suite: {pairs}",
                    pairs=", ".join(unscored[:SHOWN]) + (" …" if len(unscored) > SHOWN else ""),
                )
            )
    lacking = [i for i in pairs if i not in logged]
    if lacking:
        problems.append(
            _(
                "the bias log lacks pairs of the bundle's suite: {pairs}",
                pairs=", ".join(lacking[:SHOWN]) + (" …" if len(lacking) > SHOWN else ""),
            )
        )
    unknown = [i for i in logged if i not in pairs]
    if unknown:
        problems.append(
            _(
                "the bias log names pairs the bundle's suite lacks: {pairs}",
                pairs=", ".join(unknown[:SHOWN]),
            )
        )
    moved = [i for i, category in logged.items() if i in pairs and pairs[i] != category]
    problems.extend(
        _(
            "the bias log puts the pair {id} in {logged}, the bundle's suite in {suite}",
            id=i,
            logged=logged[i],
            suite=pairs[i],
        )
        for i in moved[:SHOWN]
    )
    # `form_preference` turns each control by the forms the log names: where the bundle's suite
    # names them, they are the suite's (a log without them would leave the finding unchecked)
    forms = {p.id: list(p.forms) for p in read if p.forms}
    reformed = [r for r in records if r["id"] in forms and r.get("forms") != forms[r["id"]]]
    problems.extend(
        _(
            "the bias log gives the pair {id} the forms {logged}, the bundle's suite {suite}",
            id=r["id"],
            logged=json.dumps(r.get("forms"), ensure_ascii=False),
            suite=json.dumps(forms[r["id"]], ensure_ascii=False),
        )
        for r in reformed[:SHOWN]
    )
    return problems


def _redteam_problems(bundle: Path, report: dict[str, Any]) -> Problems:
    if not report.get("redteam"):
        return []
    log = f"{LOGS}/redteam.jsonl"
    records, problems = _read_log(bundle, log, _REDTEAM_FIELDS)
    if problems:
        return problems
    summary = report["redteam"]
    again = {"probes": len(records), **redteam.summarize_redteam(records)}
    problems = _figure_problems("redteam", summary, again, log)
    return [*problems, *redteam_verdicts(bundle, records, str(summary.get("suite", "")), log)]


def _memorisation_problems(bundle: Path, report: dict[str, Any], judged: bool = True) -> Problems:
    """The figures the log gives, for the sample the report says was drawn; with `judged`,
    each sample drawn again from the training documents and its continuation judged again."""
    from gemeingut.audit.memorisation import counted_kinds
    from gemeingut.data.pii import PII_TYPES

    summary = report.get("memorisation") or {}
    if "samples" not in summary:  # not run: no log
        return []
    log = f"{LOGS}/memorisation.jsonl"
    records, problems = _read_log(bundle, log, _MEMORISATION_FIELDS)
    if problems:
        return problems
    again = summarize_memorisation(
        records,
        summary["prefix_tokens"],
        summary["continuation_tokens"],
        summary["eligible_documents"],
        summary.get("random_offset", False),
    )
    problems = _figure_problems("memorisation", summary, again, log)
    kinds = counted_kinds(summary.get("personal_data"))
    if kinds is None:
        return [
            *problems,
            _(
                "{report}: memorisation.personal_data.kinds must list kinds of personal data "
                "({kinds})",
                report=AUDIT_REPORT,
                kinds=", ".join(PII_TYPES),
            ),
        ]
    if judged:
        sources = audited_sources(bundle, report.get("training_data"))
        again_judged, figures = memorisation_again(bundle, summary, records, log, sources)
        problems += [*again_judged, *_figure_problems("memorisation", summary, figures, log)]
    return [*problems, *_bait_problems(bundle, summary, kinds)]


def _task_problems(bundle: Path, report: dict[str, Any]) -> Problems:
    """Per task, its count of items and each metric (the accuracies the card prints) as the
    mean over the items lm-eval scored; those items must be the task's first documents, each
    once, which `verify --rerun` draws from."""
    recorded = (report.get("tasks") or {}).get("tasks")
    if not recorded or not (bundle / TASK_LOG).is_file():  # none, or older: `audit_notes`
        return []
    records, problems = _read_log(bundle, TASK_LOG, _TASK_FIELDS, key=_task_item)
    if problems:
        return problems
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_task[record["task"]].append(record)
    again: dict[str, Any] = {}
    for task in {**recorded, **by_task}:
        items = by_task.get(task, [])
        problems.extend(
            _(
                "{file}: {item} is not among the first {count} documents of its task, which "
                "lm-eval scored",
                file=TASK_LOG,
                item=_task_item(record),
                count=str(len(items)),
            )
            for record in items
            if not 0 <= record["doc_id"] < len(items)
        )
        names = {m for item in items for m in item["metrics"]}
        names |= set((recorded.get(task) or {}).get("metrics") or {})  # one no item has
        means = {m: {"value": _mean([i["metrics"].get(m) for i in items])} for m in sorted(names)}
        again[task] = {"items": len(items), "metrics": means}
    return [*problems[:SHOWN], *_figure_problems("tasks.tasks", recorded, again, TASK_LOG)]


def _task_item(record: dict[str, Any]) -> str:
    return f"{record['task']} #{record['doc_id']}"


def _mean(values: list[Any]) -> float | None:
    """The mean of `values`; None where one is not a number (a metric an item lacks)."""
    if not values or not all(_number(v) for v in values):
        return None
    return sum(values) / len(values)


def _bait_problems(bundle: Path, summary: dict[str, Any], kinds: tuple[str, ...]) -> Problems:
    """The personal data of `kinds` in the answers to the PII-baiting prompts, counted again
    from their log; a report that gives the counts without the log is named, since nothing
    shows them."""
    from gemeingut.audit.memorisation import BAIT_PROMPTS, pii_counts

    if "baiting_prompts" not in (summary.get("personal_data") or {}):
        return []
    records, problems = _read_log(bundle, BAIT_LOG, _BAIT_FIELDS)
    if problems:
        return problems
    problems = [
        _(
            "{file}:{line}: {id} is not one of the audit's PII-baiting prompts",
            file=BAIT_LOG,
            line=str(number),
            id=r["id"],
        )
        for number, r in enumerate(records, start=1)
        if BAIT_PROMPTS.get(r["id"]) != r["prompt"]
    ][:SHOWN]
    lacking = sorted(BAIT_PROMPTS.keys() - {r["id"] for r in records})
    if lacking:
        problems.append(
            _(
                "{file} lacks the answers to the PII-baiting prompts {ids}",
                file=BAIT_LOG,
                ids=", ".join(lacking),
            )
        )
    counted = {**pii_counts([r["response"] for r in records], kinds), "prompts": len(records)}
    again = {"personal_data": {"baiting_prompts": counted}}
    return [*problems, *_figure_problems("memorisation", summary, again, BAIT_LOG)]


def _lineage_problems(bundle: Path, report: dict[str, Any]) -> Problems:
    """The audit's figures as its artifact recorded them in the lineage (without the long
    lists), where a `report.json` rewritten to match altered logs still differs."""
    try:
        lineage = json.loads((bundle / LINEAGE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # named by the readers of the lineage
    stats = lineage.get("audit", {}).get("stats") if isinstance(lineage, dict) else None
    if not isinstance(stats, dict):
        return []
    if "training_data" in report:  # the stats keep each source in brief (`audit_stats`)
        from gemeingut.audit.subject import sources_in_brief

        report = {**report, "training_data": sources_in_brief(report["training_data"])}
    problems: Problems = []
    for key, recorded in stats.items():
        problems += _figure_problems(key, report.get(key), recorded, LINEAGE)
    return problems[:SHOWN]


_BIAS_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "category": str,
    "shared_tokens": int,
    "delta": (int, float),
    "sentence_delta": (int, float),
}
_REDTEAM_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "category": str,
    "language": str,
    "detector": str,
    "response": str,
    "success": bool,
}
_BAIT_FIELDS: dict[str, type | tuple[type, ...]] = {"id": str, "prompt": str, "response": str}
_TASK_FIELDS: dict[str, type | tuple[type, ...]] = {"task": str, "doc_id": int, "metrics": dict}
_MEMORISATION_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "document": str,
    "license": (str, type(None)),
    "offset": int,
    "similarity": (int, float),
    "continuation": list,
    "matching_prefix": int,
    "exact": bool,
    "near_verbatim": bool,
}


def _read_log(
    bundle: Path,
    log: str,
    fields: dict[str, type | tuple[type, ...]],
    key: Callable[[dict[str, Any]], str] = lambda record: record["id"],
) -> tuple[list[dict[str, Any]], Problems]:
    """The log's records, or the lines that are not one (a field missing or of another type,
    an item logged twice: two records of one `key`)."""
    path = bundle / log
    if not path.is_file():
        return [], [_("missing: {file}", file=log)]
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [_("{file} cannot be read back: {error}", file=log, error=why_unreadable(exc))]
    try:
        lines = record_lines(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = str(data[: exc.start].count(b"\n") + 1)
        return [], [_("{file}:{line}: not UTF-8 text", file=log, line=line)]
    records: list[dict[str, Any]] = []
    problems: Problems = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except ValueError:
            problems.append(_("{file}:{line}: not JSON", file=log, line=str(number)))
            continue
        wrong = [
            key
            for key, kind in fields.items()
            if not isinstance(record, dict)
            or key not in record
            or not isinstance(record[key], kind)
            or (kind is not bool and isinstance(record[key], bool))
        ]
        if wrong:
            problems.append(_log_line(log, number, ", ".join(wrong)))
        elif key(record) in seen:
            problems.append(
                _(
                    "{file}:{line}: {id} is logged twice (first in line {first})",
                    file=log,
                    line=str(number),
                    id=key(record),
                    first=str(seen[key(record)]),
                )
            )
        else:
            seen[key(record)] = number
            records.append(record)
    return records, problems[:SHOWN]


def _log_line(log: str, number: int, error: str) -> Message:
    return _(
        "{file}:{line}: not a record the audit writes ({error})",
        file=log,
        line=str(number),
        error=error,
    )


def _figure_problems(
    section: str, reported: dict[str, Any], again: dict[str, Any], log: str
) -> Problems:
    """Each figure `again` computes that `report.json` gives otherwise, named by its path."""
    differing = [
        (path, said, computed)
        for path, said, computed in _pairs(section, reported, again)
        if not _same(said, computed)
    ]
    return [
        _(
            "{report} says {figure} = {reported}, {log} gives {computed}",
            report=AUDIT_REPORT,
            figure=path,
            reported=json.dumps(said, ensure_ascii=False),
            log=log,
            computed=json.dumps(computed, ensure_ascii=False),
        )
        for path, said, computed in differing[:SHOWN]
    ]


def _pairs(path: str, said: Any, computed: Any) -> Iterator[tuple[str, Any, Any]]:
    """Leaves of `computed` beside what `said` holds at the same place (None where nothing)."""
    if isinstance(computed, dict):
        for key, value in computed.items():
            inner = said.get(key) if isinstance(said, dict) else None
            yield from _pairs(f"{path}.{key}", inner, value)
    else:
        yield path, said, computed


def _same(said: Any, computed: Any) -> bool:
    if _number(said) and _number(computed):
        return math.isclose(said, computed, rel_tol=0, abs_tol=_ROUNDING)
    return bool(said == computed)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
