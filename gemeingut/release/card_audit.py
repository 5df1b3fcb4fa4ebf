"""What the model card says about the audit, computed from the audit's `report.json`.

The card's "Evaluation" and "Bias, risks and limitations" sections are filled from here: task
scores (also as `model-index` entries with their data hashes and the lm-eval command), bias per
category with intervals and flags, memorisation and personal-data rates, red-team attack
success, community findings. With no audit, the card says that no audit was run. The report
read is the bundle's `audit/report.json`, so `verify` renders the same card again.
"""

from __future__ import annotations

from typing import Any

from huggingface_hub import EvalResult

from gemeingut.audit.bias_methods import CLUSTERED_V2, WILSON_V1
from gemeingut.audit.report_markdown import lenient_caveat
from gemeingut.audit.report_text import TEXT, interval
from gemeingut.audit.report_text import name as category_name
from gemeingut.audit.task_suite import TASK_FOLDER  # not capability: verify imports this
from gemeingut.i18n import Message, _, decimal, localized, text
from gemeingut.release.layout import AUDIT

BIAS_LOG = f"{AUDIT}/logs/bias.jsonl"  # every pair as scored (`audit/run.py`'s item log)


def audit_context(report: dict[str, Any] | None, language: str) -> dict[str, Any] | None:
    """The audit's part of the card, its words in `language` (the card's)."""
    if report is None:
        return None
    context: dict[str, Any] = {
        "command": report.get("command"),
        "suites": report["suites"],
        "precision": report["model"].get("precision")
        or text(_("the endpoint's own precision"), language),
    }
    if "tasks" in report:
        tasks = report["tasks"]
        context["tasks"] = [
            {
                "name": name,
                "what": task["what"][language],
                "n_items": task["items"],
                "metric": metric,
                "value": decimal(m["value"], 3, language),
                "stderr": decimal(m["stderr"], 3, language) if m["stderr"] is not None else "–",
                "overlap": text(_overlap(tasks.get("contamination", {}), name), language),
            }
            for name, task in tasks["tasks"].items()
            for metric, m in task["metrics"].items()
        ]
        context["lm_eval"] = {**tasks["lm_eval"], "command": _bundle_command(report)}
        context["tasks_suite"] = tasks.get("suite") or text(_("the task suite"), language)
        context["ngram"] = tasks.get("contamination", {}).get("ngram")
    if "bias" in report:
        bias = report["bias"]
        context["bias"] = {
            "suite": bias["suite"],
            "rows": [
                {
                    "category": category_said(name, language),
                    "n": c["n"],
                    "share": interval(c["prefers_stereotype"], language=language),
                    "delta": interval(c["mean_delta_logprob"], percent=False, language=language),
                    "sentence": interval(c["sentence"]["prefers_stereotype"], language=language),
                    "flagged": c["flagged"],
                }
                for name, c in bias["categories"].items()
            ],
            "flagged": [category_said(name, language) for name in bias["flagged"]],
            "interval": text(bias_interval(bias), language),
        }
    if "memorisation" in report:
        context["memorisation"] = _memorisation(report["memorisation"], language)
    if "redteam" in report:
        red = report["redteam"]
        context["redteam"] = {
            "probes": red["probes"],
            "languages": ", ".join(
                sorted({lang for c in red["categories"].values() for lang in c["by_language"]})
            ),
            "all": interval(red["all"], language=language)
            if red["all"].get("value") is not None
            else None,  # no answer to rate: said so, not "–"
            # empty answers are in no rate (`audit/redteam.py`); a report from before they
            # were counted has no count
            "counted": "empty" in red,
            "empty": red.get("empty"),
            "answers": red.get("answers"),
            # the caveat of the lenient detectors this red team used, as the report states it
            "lenient": lenient_caveat(red["categories"], language).strip(),
            "rows": [
                {
                    "category": category_said(name, language),
                    "detector": c["detector"],
                    "n": c["attack_success"]["n"],
                    "empty": c.get("empty"),
                    "share": interval(c["attack_success"], language=language),
                }
                for name, c in red["categories"].items()
            ],
        }
    if "findings" in report:
        context["findings"] = report["findings"]
    return context


def bias_interval(bias: dict[str, Any]) -> Message:
    """How the bias section's intervals were computed, by the method `report.json` records
    (reports without one: v1), so the card never claims another method than its numbers'."""
    method = bias.get("method", WILSON_V1)
    if method == WILSON_V1:  # the words of the cards of v1 (which `verify` renders again)
        return _("95% Wilson interval")
    if method == CLUSTERED_V2:
        return _(
            "95% interval of a sign-flip test over word pairs (pairs that differ in the same words "
            "count as one; method `{method}`)",
            method=method,
        )
    return _(  # v3, the one other method `verify` accepts
        "95% interval of a sign-flip test over word pairs (pairs that differ in the same words "
        "count as one), each pair less its grammatical control where it has one (method "
        "`{method}`)",
        method=method,
    )


def category_said(name: str, language: str) -> str:
    """'Alter (`age`)': a bias or red-team category by the audit report's name for it, its
    key beside it (what the suite's files and `audit/report.json` call it); a category of the
    auditor's own suite, which has no name, by its key."""
    said = category_name(name, language)
    return f"`{name}`" if said == name else f"{said} (`{name}`)"


def _bundle_command(report: dict[str, Any]) -> str:
    """The lm_eval command as run from the bundle's audit/ folder, where the model is ../model."""
    command = str(report["tasks"]["lm_eval"]["command"])
    return command.replace(str(report["model"].get("path")), "../model")


def _overlap(contamination: dict[str, Any], task: str) -> Message:
    if not contamination.get("checked"):
        return _("not checked")
    seen = contamination["tasks"][task]
    return _("{found} of {items} items", found=seen["any_overlap"], items=seen["items"])


def _memorisation(memo: dict[str, Any], language: str) -> dict[str, Any]:

    pii = memo["personal_data"]
    result: dict[str, Any] = {
        "pii_baits": interval(pii["baiting_prompts"]["with_personal_data"], language=language),
        "pii_baits_n": pii["baiting_prompts"]["generations"],
    }
    if "canaries" in memo:
        found = memo["canaries"]
        result["canaries"] = {
            "n": len(found["canaries"]),
            "trained": _exposure(found["mean_exposure_trained"], language),
            "control": _exposure(found["mean_exposure_control"], language),
            "max": _exposure(found["max_exposure"], language),
        }
    if "not_run" in memo:
        return {**result, "not_run": TEXT[language]["reason_" + memo["not_run"]]}
    return {
        **result,
        "samples": memo["samples"],
        "k": memo["prefix_tokens"],
        "where": TEXT[language]["from_offset" if memo.get("random_offset") else "from_start"],
        "m": memo["continuation_tokens"],
        "exact": interval(memo["exact"], language=language),
        "near": interval(memo["near_verbatim"], language=language),
        "memorised": len(memo["memorised"]),
        "pii_continuations": interval(
            pii["continuations"]["with_personal_data"], language=language
        ),
    }


def _exposure(value: float | None, language: str) -> str:
    return "–" if value is None else localized(str(value), language)


def audit_results(report: dict[str, Any] | None) -> list[EvalResult]:
    """The audit's numbers as model-index entries: each task score and each bias category's
    share of pairs where the model prefers the stereotype, so the Hub and other tools read the
    same numbers as the card's tables (both cards: our pretraining's and a fine-tune's)."""
    if report is None:
        return []
    return [*_task_results(report), *_bias_results(report)]


def _task_results(report: dict[str, Any]) -> list[EvalResult]:
    """The task scores: the task's documents in the bundle, its source's hash and item count in
    `dataset_args`, the lm-eval command and version in `metric_args`, so the entry says how to
    re-run it."""
    if "tasks" not in report:
        return []
    tasks, info = report["tasks"], report["tasks"]["lm_eval"]
    results = []
    for name, task in tasks["tasks"].items():
        for metric, m in task["metrics"].items():
            results.append(
                EvalResult(
                    task_type="multiple-choice"
                    if task["kind"] == "multiple_choice"
                    else "text-generation",
                    # the task's documents in the bundle, as its lm-eval YAML loads them (no
                    # Hub dataset holds the suite, so no Hub id is claimed)
                    dataset_type="json",
                    dataset_name=f"{name} (gemeingut German task suite, CC0-1.0)",
                    dataset_split="test",
                    dataset_args={
                        "data_files": {"test": f"{AUDIT}/{TASK_FOLDER}/{name}.jsonl"},
                        "items": task["items"],
                        "source_sha256": task["source_sha256"],
                    },
                    metric_type=metric,
                    metric_name=metric,
                    metric_value=round(m["value"], 6),
                    metric_args={
                        "num_fewshot": 0,
                        "lm_eval": info["version"],
                        "command": _bundle_command(report),
                    },
                )
            )
    return results


def _bias_results(report: dict[str, Any]) -> list[EvalResult]:
    """Per bias category the share of minimal pairs where the model prefers the stereotype
    (0.5: no preference), with its 95% interval (as `bias_interval` says) and whether it is
    flagged; the pairs as scored are the bundle's item log. A category without a share (no pair
    scored) has none."""
    if "bias" not in report:
        return []
    bias = report["bias"]
    config = text(_("{interval}; flagged when it excludes 0.5", interval=bias_interval(bias)), "en")
    return [
        EvalResult(
            task_type="text-generation",
            task_name="bias: minimal pairs (CrowS-Pairs measure)",
            dataset_type="json",
            dataset_name=f"{bias['suite']}: {name}",
            dataset_config=name,
            dataset_split="test",
            dataset_args={"data_files": {"test": BIAS_LOG}, "category": name, "pairs": c["n"]},
            metric_type="prefers_stereotype",
            metric_name=f"prefers stereotype ({name})",
            metric_value=round(share["value"], 6),
            metric_config=config,
            metric_args={
                "low": share["low"],
                "high": share["high"],
                "n": share["n"],
                "flagged": bool(c["flagged"]),
            },
        )
        for name, c in bias["categories"].items()
        if (share := c["prefers_stereotype"])["value"] is not None
    ]
