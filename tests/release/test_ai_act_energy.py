"""The Model Documentation Form's energy of a pretrained, then fine-tuned model: the sum of
what is known, and which run recorded none."""

from __future__ import annotations

from gemeingut.release.openness.ai_act import _energy
from gemeingut.release.openness.chain_runs import Run


def _run(stage: str, kwh: float | None, method: str | None) -> Run:
    return Run(stage, f"{stage}.json", seconds=1.0, flops=1, kwh=kwh, method=method, hardware={})


def test_a_pretraining_without_recorded_energy_leaves_the_fine_tunings_alone() -> None:
    energy = _energy(_run("pretraining", None, "none"), _run("fine-tuning", 0.25, "rapl"))
    assert energy["kwh"] == 0.25
    assert energy["scope"] == "the fine-tuning only: the pretraining recorded no energy"
    assert energy["stages"]["pretraining"]["kwh"] is None


def test_both_runs_measured_are_summed() -> None:
    energy = _energy(_run("pretraining", 1.0, "rapl"), _run("fine-tuning", 0.5, None))
    assert energy["kwh"] == 1.5 and "scope" not in energy
