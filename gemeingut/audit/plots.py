"""One PNG per suite and language (matplotlib, no screen needed): the numbers of the report,
with their intervals, for people who read charts rather than tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gemeingut.audit.report_text import TEXT, name
from gemeingut.i18n import Message, _, text

PLOTS = "plots"


def write_plots(report: dict[str, Any], out: Path, language: str) -> list[str]:
    """The plots of `report` with `language`'s labels and decimal mark; their paths."""
    import matplotlib

    matplotlib.use("Agg")
    t = TEXT[language]
    charts: dict[str, tuple[dict[str, dict[str, Any]], str, float | None]] = {}
    if report.get("bias"):
        cats = report["bias"]["categories"]
        charts["bias"] = (
            {name(c, language): v["prefers_stereotype"] for c, v in cats.items()},
            t["bias_axis"],
            0.5,
        )
    if report.get("redteam"):
        cats = report["redteam"]["categories"]
        charts["redteam"] = (
            {name(c, language): v["attack_success"] for c, v in cats.items()},
            t["redteam_axis"],
            None,
        )
    if report.get("tasks"):
        charts["tasks"] = (_task_values(report["tasks"]), t["tasks_axis"], None)
    memo = report.get("memorisation") or {}
    if "exact" in memo:
        shares = {t["exact"]: memo["exact"], t["near"]: memo["near_verbatim"]}
        charts["memorisation"] = (shares, t["memorisation_axis"], None)
    folder = out / PLOTS
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for chart, (values, axis, reference) in charts.items():
        path = f"{PLOTS}/{chart}.{language}.png"
        if any(v["value"] is not None for v in values.values()):
            _interval_bars(out / path, values, axis, reference, decimal_comma=language == "de")
        else:
            _nothing_to_plot(out / path, axis, text(_nothing_said(report.get(chart)), language))
        written.append(path)
    return written


def _task_values(tasks: dict[str, Any]) -> dict[str, dict[str, Any]]:
    values = {}
    for task_name, task in tasks["tasks"].items():
        metric = "acc" if "acc" in task["metrics"] else "exact_match"
        m = task["metrics"][metric]
        spread = 1.96 * (m["stderr"] or 0.0)
        values[f"{task_name} ({metric})"] = {
            "value": m["value"],
            "low": max(0, m["value"] - spread),
            "high": min(1, m["value"] + spread),
        }
    return values


def _nothing_said(suite: dict[str, Any] | None) -> Message:
    """Why a chart has no bar: every red-team answer empty (the rates count only the others),
    or else no value measured at all."""
    answers = (suite or {}).get("answers")
    if answers and (suite or {}).get("empty") == answers:
        return _(
            "Nothing to plot: all {answers} answers were empty, and a rate counts only "
            "answers with text.",
            answers=answers,
        )
    return _("Nothing to plot: no value was measured.")


def _nothing_to_plot(path: Path, axis: str, said: str) -> None:
    """A chart that says why it has no bars: an empty chart alone left the reader guessing."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 1.6))
    axes.axis("off")
    axes.set_title(axis)  # which chart it is, as the bars' axis would say
    axes.text(0.5, 0.5, said, ha="center", va="center", wrap=True)
    figure.tight_layout()
    # also as the PNG's description, for a reader (or a check) that does not see the image
    figure.savefig(path, dpi=110, metadata={"Software": None, "Description": said})
    plt.close(figure)


def _interval_bars(
    path: Path,
    values: dict[str, dict[str, Any]],
    axis: str,
    reference: float | None,
    decimal_comma: bool,
) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    names = [n for n in values if values[n]["value"] is not None]
    shares = [values[n]["value"] for n in names]
    below = [values[n]["value"] - values[n]["low"] for n in names]
    above = [values[n]["high"] - values[n]["value"] for n in names]
    figure, axes = plt.subplots(figsize=(7, 0.45 * len(names) + 1.4))
    axes.barh(names, shares, xerr=[below, above], color="#3b6ea5", ecolor="#222222", capsize=3)
    if reference is not None:
        axes.axvline(reference, color="#c0392b", linestyle="--", linewidth=1)
    axes.set_xlim(0, 1)
    axes.set_xlabel(axis)
    if decimal_comma:
        axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:.1f}".replace(".", ",")))
    axes.invert_yaxis()
    figure.tight_layout()
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)
