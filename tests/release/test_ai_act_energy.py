"""The Model Documentation Form's energy of a pretrained, then fine-tuned model: the sum of
what is known, and which run recorded none."""

from __future__ import annotations

from gemeingut.release.openness.ai_act import _energy


def test_a_pretraining_without_recorded_energy_leaves_the_fine_tunings_alone() -> None:
    energy = _energy({"method": "none"}, {"energy": {"kwh_this_run": 0.25, "method": "rapl"}})
    assert energy["kwh"] == 0.25
    assert energy["scope"] == "the fine-tuning only: the pretraining recorded no energy"
    assert energy["stages"]["pretraining"]["kwh"] is None


def test_both_runs_measured_are_summed() -> None:
    energy = _energy({"kwh_this_run": 1.0, "method": "rapl"}, {"energy": {"kwh_this_run": 0.5}})
    assert energy["kwh"] == 1.5 and "scope" not in energy
