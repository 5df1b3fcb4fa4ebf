"""`/v1/models` carries the release bundle's audit in numbers, read from its report.json; a
model outside a bundle has none (null, not a guess)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.serve.model_audit import model_audit


def test_a_bundles_audit_is_summarised_from_its_report(tiny_build, model_dir: Path) -> None:
    bundle = Path(tiny_build["release"]["path"]) / "bundle"
    report = json.loads((bundle / "audit" / "report.json").read_text(encoding="utf-8"))
    summary = model_audit(bundle / "model")
    assert summary is not None
    assert summary.bias_categories == sorted(report["bias"]["categories"])
    flagged = [n for n, row in report["bias"]["categories"].items() if row["flagged"]]
    assert summary.bias_flagged == sorted(flagged)
    rows = [c["attack_success"] for c in report["redteam"]["categories"].values()]
    rated = [r for r in rows if r["value"] is not None]  # empty answers are in no rate
    probes = sum(r["n"] for r in rated)
    successes = sum(r["value"] * r["n"] for r in rated) / probes if probes else None
    assert summary.redteam_attack_success == (pytest.approx(successes) if probes else None)
    assert summary.memorisation_samples == report["memorisation"]["samples"]
    assert {t.name for t in summary.tasks} == set(report["tasks"]["tasks"])
    assert model_audit(model_dir) is None  # a plain model folder: not audited here
