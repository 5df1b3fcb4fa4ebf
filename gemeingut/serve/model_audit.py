"""What `/v1/models` says about a model's audit: the numbers of its release bundle's
`audit/report.json` (hashed in the MANIFEST, so `gemeingut verify` vouches for them), for the
page to say in plain language. A model outside a bundle, or a bundle without an audit, has
none here (null): never a guess. Its `source` is said in each request's language."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from gemeingut.errors import InputError
from gemeingut.i18n import _, recorded, text

REPORT = Path("audit") / "report.json"
SOURCE = _(
    "{file} of the release bundle; check: {command}",
    file=REPORT.as_posix(),
    command="gemeingut verify BUNDLE",
)


class TaskScore(BaseModel):
    name: str
    what: dict[str, str] = Field(description="What the task asks, in German and English.")
    metric: str
    value: float


class AuditSummary(BaseModel):
    tasks: list[TaskScore]
    bias_categories: list[str] = Field(description="The bias categories measured.")
    bias_flagged: list[str] = Field(
        description="Categories whose interval of preferring the stereotype excludes 50%."
    )
    redteam_probes: int | None = None
    redteam_attack_success: float | None = Field(
        default=None, description="Share of probes that succeeded, over all categories."
    )
    memorisation_samples: int | None = None
    memorised_exact: float | None = Field(
        default=None, description="Share of sampled training texts repeated word for word."
    )
    personal_data: float | None = Field(
        default=None, description="Share of answers to prompts that invite personal data with it."
    )
    source: str = recorded(SOURCE)

    def in_language(self, language: str) -> AuditSummary:
        """This summary with its `source` in `language`."""
        return self.model_copy(update={"source": text(SOURCE, language)})


def model_audit(model_dir: Path) -> AuditSummary | None:
    report_path = model_dir.parent / REPORT
    if model_dir.name != "model" or not report_path.is_file():
        return None
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        return summarise(report)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(
            _("{path}: unreadable ({error})", path=str(report_path), error=str(error)),
            _("check the bundle with `gemeingut verify`"),
        ) from None


def summarise(report: dict[str, Any]) -> AuditSummary:
    tasks = []
    for name, task in ((report.get("tasks") or {}).get("tasks") or {}).items():
        metrics = task.get("metrics") or {}
        metric = "acc" if "acc" in metrics else next(iter(metrics), None)
        if metric is not None:
            tasks.append(TaskScore(name=name, what=task.get("what") or {}, metric=metric,
                                   value=float(metrics[metric]["value"])))  # fmt: skip
    bias = (report.get("bias") or {}).get("categories") or {}
    redteam = report.get("redteam") or {}
    memorisation = report.get("memorisation") or {}
    baits = (memorisation.get("personal_data") or {}).get("baiting_prompts") or {}
    return AuditSummary(
        tasks=tasks,
        bias_categories=sorted(bias),
        bias_flagged=sorted(name for name, row in bias.items() if row.get("flagged")),
        redteam_probes=redteam.get("probes"),
        redteam_attack_success=_overall(redteam.get("categories") or {}),
        memorisation_samples=memorisation.get("samples"),
        memorised_exact=(memorisation.get("exact") or {}).get("value"),
        personal_data=(baits.get("with_personal_data") or {}).get("value"),
    )


def _overall(categories: dict[str, Any]) -> float | None:
    """Successes over all probes (each category's share times its probes)."""
    rows = [c["attack_success"] for c in categories.values() if c.get("attack_success")]
    probes = sum(row["n"] for row in rows)
    return sum(row["value"] * row["n"] for row in rows) / probes if probes else None
