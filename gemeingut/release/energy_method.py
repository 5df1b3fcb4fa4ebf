"""How a run's energy was found, in the documents' language, from its record's own fields.

The record (`training.json`'s and `finetune.json`'s `energy`) keeps the method as one English
line for tools; a person reads what was done for this run: measured by codecarbon, or the
estimate's formula with only the terms that applied (no GPU term on a run without one) and
its numbers. A record this module does not recognise keeps its line as written.
"""

from __future__ import annotations

from typing import Any

from gemeingut.i18n import Message, _, decimal, plural


def energy_method(energy: dict[str, Any], language: str) -> Message | str:
    method = energy.get("method")
    if not method:
        return _("method not recorded")
    assumptions = energy.get("assumptions")
    if isinstance(assumptions, dict) and str(method).startswith("estimate"):
        return _estimate(assumptions, language)
    if str(method).startswith("codecarbon"):
        return _("measured with {tool}", tool=method)
    return str(method)


def _estimate(assumptions: dict[str, Any], language: str) -> Message:
    per_thread = decimal(float(assumptions.get("cpu_watts_per_thread", 0)), 0, language)
    count = int(assumptions.get("cpu_threads") or 0)
    threads = plural(count, _("{count} thread", count=count), _("{count} threads", count=count))
    gpus = [float(w) for w in assumptions.get("gpu_watts") or []]
    if not gpus:
        return _(
            "estimate: {watts} W per CPU thread × {threads} × wall time; codecarbon was "
            "not installed",
            watts=per_thread,
            threads=threads,
        )
    one, many = _("{count} GPU", count=len(gpus)), _("{count} GPUs", count=len(gpus))
    return _(
        "estimate: ({watts} W per CPU thread × {threads} + {gpu} W power limit of {gpus}) × "
        "wall time; codecarbon was not installed",
        watts=per_thread,
        threads=threads,
        gpu=decimal(sum(gpus), 0, language),
        gpus=plural(len(gpus), one, many),
    )
