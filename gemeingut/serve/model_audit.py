"""What `/v1/models` says about a model's audit: the numbers of its release bundle's
`audit/report.json` (hashed in the MANIFEST, so `gemeingut verify` vouches for them), for the
page to say in plain language. A model outside a bundle, or a bundle without an audit, has
none here (null): never a guess. Its `source` is said in each request's language.

A multiple-choice score means little without what guessing scores: each task's chance level is
computed from the task's data the audit ran (`audit/tasks/<task>.jsonl`, each item's choices;
the first `items` of them, as lm-eval's limit takes them): the mean of 1/choices. A task whose
data is not in the bundle has none (null)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from gemeingut.audit.report_markdown import lenient_detectors
from gemeingut.errors import InputError
from gemeingut.i18n import _, recorded, text
from gemeingut.json_records import record_lines

REPORT = Path("audit") / "report.json"
TASK_DATA = "tasks"  # beside report.json: each task's items as lm-eval read them
TASK_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # a file name, never a path
CHANCE_METRICS = ("acc", "acc_norm")  # scores a guess reaches by chance (not exact_match)
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
    chance: float | None = Field(
        default=None,
        description="What guessing scores on the items scored: the mean of 1/choices "
        "(multiple choice; null where the task's data is not in the bundle).",
    )


class RedteamCategory(BaseModel):
    """One kind of attack: an average over all of them hides that some always succeed and
    others never, so the page says each."""

    name: str
    detector: str | None = Field(default=None, description="The detector that rated it.")
    attack_success: float | None = Field(
        default=None, description="Share of its rated answers whose attack succeeded."
    )
    rated: int = Field(default=0, description="Its answers that could be rated.")


class AuditSummary(BaseModel):
    tasks: list[TaskScore]
    bias_categories: list[str] = Field(description="The bias categories measured.")
    bias_flagged: list[str] = Field(
        description="Categories whose interval of preferring the stereotype excludes 50%."
    )
    bias_prefers_stereotype: list[str] = Field(
        default_factory=list,
        description="Of those flagged, the categories whose interval lies above 50%: the model "
        "prefers the stereotype.",
    )
    bias_prefers_anti_stereotype: list[str] = Field(
        default_factory=list,
        description="Of those flagged, the categories whose interval lies below 50%: the model "
        "prefers the opposite of the stereotype.",
    )
    redteam_probes: int | None = None
    redteam_attack_success: float | None = Field(
        default=None,
        description="Share of the rated answers whose attack succeeded, over all categories "
        "(null where no answer could be rated).",
    )
    redteam_categories: list[RedteamCategory] = Field(
        default_factory=list, description="Each category of the red team with its own rate."
    )
    redteam_lenient: list[str] = Field(
        default_factory=list,
        description="The detectors the red team used that count any answer that does not "
        "refuse (`refusal`) or does not correct the claim (`affirmation`) as a success, a "
        "meaningless one too: the rate then says no more than that, and the page says so.",
    )
    redteam_answers: int | None = Field(
        default=None, description="Answers the red team got (one per probe)."
    )
    redteam_empty: int | None = Field(
        default=None,
        description="Of them, answers that were empty or whitespace alone: they show neither "
        "success nor refusal and are in no rate (null: a report from before they were counted).",
    )
    memorisation_samples: int | None = None
    memorised_exact: float | None = Field(
        default=None, description="Share of sampled training texts repeated word for word."
    )
    personal_data: float | None = Field(
        default=None, description="Share of answers to prompts that invite personal data with it."
    )
    # A factory, not a default: the schema would show the default and cannot encode it.
    source: str = Field(default_factory=lambda: recorded(SOURCE))

    def in_language(self, language: str) -> AuditSummary:
        """This summary with its `source` in `language`."""
        return self.model_copy(update={"source": text(SOURCE, language)})


def model_audit(model_dir: Path) -> AuditSummary | None:
    report_path = model_dir.parent / REPORT
    if model_dir.name != "model" or not report_path.is_file():
        return None
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
        return summarise(report, report_path.parent / TASK_DATA)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(
            _("{path}: unreadable ({error})", path=str(report_path), error=str(error)),
            _("check the bundle with `gemeingut verify`"),
        ) from None


def summarise(report: dict[str, Any], task_data: Path | None = None) -> AuditSummary:
    """The numbers of `report`; chance levels from the task data in `task_data`."""
    tasks = []
    for name, task in ((report.get("tasks") or {}).get("tasks") or {}).items():
        metrics = task.get("metrics") or {}
        metric = "acc" if "acc" in metrics else next(iter(metrics), None)
        if metric is not None:
            chance = (
                _chance(task_data, name, task.get("items"))
                if task_data is not None and metric in CHANCE_METRICS
                else None
            )
            value = float(metrics[metric]["value"])
            what = task.get("what") or {}
            tasks.append(TaskScore(name=name, what=what, metric=metric, value=value, chance=chance))
    bias = (report.get("bias") or {}).get("categories") or {}
    redteam = report.get("redteam") or {}
    memorisation = report.get("memorisation") or {}
    baits = (memorisation.get("personal_data") or {}).get("baiting_prompts") or {}
    flagged = sorted(name for name, row in bias.items() if row.get("flagged"))
    sides = {name: _side(name, bias[name]) for name in flagged}
    return AuditSummary(
        tasks=tasks,
        bias_categories=sorted(bias),
        bias_flagged=flagged,
        bias_prefers_stereotype=[name for name in flagged if sides[name] == "stereotype"],
        bias_prefers_anti_stereotype=[name for name in flagged if sides[name] == "anti"],
        redteam_probes=redteam.get("probes"),
        redteam_attack_success=_overall(redteam.get("categories") or {}),
        redteam_categories=[
            _category(name, row) for name, row in (redteam.get("categories") or {}).items()
        ],
        redteam_lenient=lenient_detectors(redteam.get("categories") or {}),
        redteam_answers=redteam.get("answers"),
        redteam_empty=redteam.get("empty"),
        memorisation_samples=memorisation.get("samples"),
        memorised_exact=(memorisation.get("exact") or {}).get("value"),
        personal_data=(baits.get("with_personal_data") or {}).get("value"),
    )


def _category(name: str, row: dict[str, Any]) -> RedteamCategory:
    share = row.get("attack_success") or {}
    return RedteamCategory(
        name=name,
        detector=row.get("detector"),
        attack_success=share.get("value"),
        rated=share.get("n") or 0,
    )


def _side(name: str, row: dict[str, Any]) -> str:
    """Which way a flagged category leans, from its interval of preferring the stereotype: a
    category is flagged when that interval excludes 50% on either side, and below 50% the model
    prefers the anti-stereotype. A flagged category whose interval says neither is a report that
    cannot be read (a `ValueError`, which `model_audit` says as such)."""
    share = row["prefers_stereotype"]
    if share["low"] is not None and share["low"] > 0.5:
        return "stereotype"
    if share["high"] is not None and share["high"] < 0.5:
        return "anti"
    raise ValueError(
        _(
            "the bias category {name!r} is flagged, but its interval of preferring the "
            "stereotype includes 50 %",
            name=name,
        )
    )


def _chance(folder: Path, name: str, items: object) -> float | None:
    """The mean of 1/choices over the task's first `items` items (all where not said); None
    without its data or for a task without choices. A line that is no item with a list of
    choices is an `InputError` naming the file and line."""
    data = folder / f"{name}.jsonl"
    if not TASK_NAME.fullmatch(name) or not data.is_file():
        return None
    odds = []
    for number, line in enumerate(record_lines(data.read_text(encoding="utf-8")), start=1):
        if isinstance(items, int) and len(odds) >= items:
            break
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            item = None
        if isinstance(item, dict) and "choices" not in item:
            return None  # answers to write, not to choose among: no chance level
        choices = item.get("choices") if isinstance(item, dict) else None
        if not isinstance(choices, list) or not choices:
            raise InputError(
                _(
                    "{where}: not an item of the task with its list of choices",
                    where=f"{data}:{number}",
                ),
                _("check the bundle with `gemeingut verify`"),
            )
        odds.append(1 / len(choices))
    return sum(odds) / len(odds) if odds else None


def _overall(categories: dict[str, Any]) -> float | None:
    """Successes over all probes (each category's share times its probes); empty answers are
    in no share (a category of them has none)."""
    rows = [
        c["attack_success"]
        for c in categories.values()
        if c.get("attack_success") and c["attack_success"].get("value") is not None
    ]
    probes = sum(row["n"] for row in rows)
    return sum(row["value"] * row["n"] for row in rows) / probes if probes else None
