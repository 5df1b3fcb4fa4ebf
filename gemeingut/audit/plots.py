"""One PNG per suite (matplotlib, no screen needed): the numbers of the report, with their
intervals, for people who read charts rather than tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PLOTS = "plots"


def write_plots(report: dict[str, Any], out: Path, labels: dict[str, str]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    folder = out / PLOTS
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if report.get("bias"):
        cats = report["bias"]["categories"]
        _interval_bars(
            folder / "bias.png",
            {c: v["prefers_stereotype"] for c, v in cats.items()},
            labels["bias_axis"],
            reference=0.5,
        )
        written.append(f"{PLOTS}/bias.png")
    if report.get("redteam"):
        cats = report["redteam"]["categories"]
        _interval_bars(
            folder / "redteam.png",
            {c: v["attack_success"] for c, v in cats.items()},
            labels["redteam_axis"],
            reference=None,
        )
        written.append(f"{PLOTS}/redteam.png")
    if report.get("tasks"):
        values = {}
        for name, task in report["tasks"]["tasks"].items():
            metric = "acc" if "acc" in task["metrics"] else "exact_match"
            m = task["metrics"][metric]
            spread = 1.96 * (m["stderr"] or 0.0)
            values[f"{name} ({metric})"] = {
                "value": m["value"],
                "low": max(0, m["value"] - spread),
                "high": min(1, m["value"] + spread),
            }
        _interval_bars(folder / "tasks.png", values, labels["tasks_axis"], reference=None)
        written.append(f"{PLOTS}/tasks.png")
    memo = report.get("memorisation") or {}
    if "exact" in memo:
        _interval_bars(
            folder / "memorisation.png",
            {labels["exact"]: memo["exact"], labels["near"]: memo["near_verbatim"]},
            labels["memorisation_axis"],
            reference=None,
        )
        written.append(f"{PLOTS}/memorisation.png")
    return written


def _interval_bars(
    path: Path, values: dict[str, dict[str, Any]], axis: str, reference: float | None
) -> None:
    import matplotlib.pyplot as plt

    names = list(values)
    shares = [values[n]["value"] for n in names]
    below = [values[n]["value"] - values[n]["low"] for n in names]
    above = [values[n]["high"] - values[n]["value"] for n in names]
    figure, axes = plt.subplots(figsize=(7, 0.45 * len(names) + 1.4))
    axes.barh(names, shares, xerr=[below, above], color="#3b6ea5", ecolor="#222222", capsize=3)
    if reference is not None:
        axes.axvline(reference, color="#c0392b", linestyle="--", linewidth=1)
    axes.set_xlim(0, 1)
    axes.set_xlabel(axis)
    axes.invert_yaxis()
    figure.tight_layout()
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)
