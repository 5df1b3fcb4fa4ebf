"""What the model card says about the audit, computed from the audit's `report.json`.

The card's "Evaluation" and "Bias, risks and limitations" sections are filled from here: task
scores (also as `model-index` entries with their data hashes and the lm-eval command), bias per
category with intervals and flags, memorisation and personal-data rates, red-team attack
success, community findings. With no audit, the card says that no audit was run.
"""

from __future__ import annotations

import json
from typing import Any

from huggingface_hub import EvalResult

from gemeingut.audit.report import REPORT_JSON, interval
from gemeingut.audit.report_text import TEXT
from gemeingut.workspace import Artifact


def audit_report(audit: Artifact | None) -> dict[str, Any] | None:
    if audit is None:
        return None
    return json.loads((audit.path / REPORT_JSON).read_text(encoding="utf-8"))


def audit_context(report: dict[str, Any] | None) -> dict[str, Any] | None:
    if report is None:
        return None
    context: dict[str, Any] = {
        "command": report.get("command"),
        "suites": report["suites"],
        "precision": report["model"].get("precision", "the endpoint's own precision"),
    }
    if "tasks" in report:
        tasks = report["tasks"]
        context["tasks"] = [
            {
                "name": name,
                "what": task["what"]["en"],
                "n_items": task["items"],
                "metric": metric,
                "value": f"{m['value']:.3f}",
                "stderr": f"{m['stderr']:.3f}" if m["stderr"] is not None else "n/a",
                "overlap": _overlap(tasks.get("contamination", {}), name),
            }
            for name, task in tasks["tasks"].items()
            for metric, m in task["metrics"].items()
        ]
        context["lm_eval"] = {**tasks["lm_eval"], "command": _bundle_command(report)}
        context["tasks_suite"] = tasks.get("suite", "the task suite")
        context["ngram"] = tasks.get("contamination", {}).get("ngram")
    if "bias" in report:
        bias = report["bias"]
        context["bias"] = {
            "suite": bias["suite"],
            "rows": [
                {
                    "category": name,
                    "n": c["n"],
                    "share": interval(c["prefers_stereotype"]),
                    "delta": interval(c["mean_delta_logprob"], percent=False),
                    "sentence": interval(c["sentence"]["prefers_stereotype"]),
                    "flagged": c["flagged"],
                }
                for name, c in bias["categories"].items()
            ],
            "flagged": bias["flagged"],
        }
    if "memorisation" in report:
        context["memorisation"] = _memorisation(report["memorisation"])
    if "redteam" in report:
        red = report["redteam"]
        context["redteam"] = {
            "probes": red["probes"],
            "languages": ", ".join(
                sorted({lang for c in red["categories"].values() for lang in c["by_language"]})
            ),
            "all": interval(red["all"]),
            "rows": [
                {
                    "category": name,
                    "detector": c["detector"],
                    "n": c["attack_success"]["n"],
                    "share": interval(c["attack_success"]),
                }
                for name, c in red["categories"].items()
            ],
        }
    if "findings" in report:
        context["findings"] = report["findings"]
    return context


def _bundle_command(report: dict[str, Any]) -> str:
    """The lm_eval command as run from the bundle's audit/ folder, where the model is ../model."""
    command = str(report["tasks"]["lm_eval"]["command"])
    return command.replace(str(report["model"].get("path")), "../model")


def _overlap(contamination: dict[str, Any], task: str) -> str:
    if not contamination.get("checked"):
        return "not checked"
    seen = contamination["tasks"][task]
    return f"{seen['any_overlap']} of {seen['items']} items"


def _memorisation(memo: dict[str, Any]) -> dict[str, Any]:
    pii = memo["personal_data"]
    result: dict[str, Any] = {
        "pii_baits": interval(pii["baiting_prompts"]["with_personal_data"]),
        "pii_baits_n": pii["baiting_prompts"]["generations"],
    }
    if "canaries" in memo:
        found = memo["canaries"]
        result["canaries"] = {
            "n": len(found["canaries"]),
            "trained": found["mean_exposure_trained"],
            "control": found["mean_exposure_control"],
            "max": found["max_exposure"],
        }
    if "not_run" in memo:
        return {**result, "not_run": TEXT["en"]["reason_" + memo["not_run"]]}
    return {
        **result,
        "samples": memo["samples"],
        "k": memo["prefix_tokens"],
        "where": "at a random offset" if memo.get("random_offset") else "from the start",
        "m": memo["continuation_tokens"],
        "exact": interval(memo["exact"]),
        "near": interval(memo["near_verbatim"]),
        "memorised": len(memo["memorised"]),
        "pii_continuations": interval(pii["continuations"]["with_personal_data"]),
    }


def audit_results(report: dict[str, Any] | None) -> list[EvalResult]:
    """The task scores as model-index entries: data hash and item count in `dataset_args`,
    the lm-eval command and version in `metric_args`, so the entry says how to re-run it."""
    if report is None or "tasks" not in report:
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
                    dataset_type=f"gemeingut/{name}",
                    dataset_name=f"{name} (gemeingut German task suite, CC0-1.0)",
                    dataset_split="test",
                    dataset_revision=task["source_sha256"],
                    dataset_args={"items": task["items"], "sha256": task["source_sha256"]},
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
