"""The technical report and the card say in the document's language what the code computed:
the energy estimate's formula with only the terms this run used, the learning-rate schedule
with its numbers, the MOF treatment, the stages of the lineage, exclusion reasons and audit
categories by their names. English machine words of the records stay in the records."""

from __future__ import annotations

import json
import re
from pathlib import Path

from gemeingut.i18n import text
from gemeingut.release.card_audit import category_said
from gemeingut.release.energy_method import energy_method
from gemeingut.release.verify import verify_bundle


def _estimate(gpu_watts: list[float]) -> dict:
    return {
        "method": "estimate: …",
        "assumptions": {"cpu_watts_per_thread": 10.0, "cpu_threads": 2, "gpu_watts": gpu_watts},
    }


def test_the_energy_estimate_states_the_formula_this_run_used() -> None:
    cpu = text(energy_method(_estimate([]), "de"), "de")
    assert cpu == (
        "Schätzung: 10 W je CPU-Thread × 2 Threads × Laufzeit; codecarbon war nicht installiert"
    )
    gpu = text(energy_method(_estimate([700.0, 700.0]), "de"), "de")
    assert "1.400 W Leistungsgrenze von 2 GPUs" in gpu
    one = _estimate([700.0])
    one["assumptions"]["cpu_threads"] = 1  # each count's noun in its number
    said = text(energy_method(one, "de"), "de")
    assert "× 1 Thread + 700 W Leistungsgrenze von 1 GPU)" in said, said
    measured = {"method": "codecarbon 3.0 OfflineEmissionsTracker(country_iso_code='DEU')"}
    assert text(energy_method(measured, "de"), "de").startswith("gemessen mit codecarbon 3.0")
    assert text(energy_method({}, "en"), "en") == "method not recorded"


def test_the_german_report_has_no_english_words_of_the_code(tiny_build) -> None:
    bundle = Path(tiny_build["release"]["path"]) / "bundle"
    report = (bundle / "TECHNICAL_REPORT.md").read_text(encoding="utf-8")
    training = json.loads((bundle / "training-metadata/training.json").read_text("utf-8"))
    for english in ("estimate", "codecarbon not installed", "cosine decay", "min_lr_ratio,"):
        assert english not in report, english
    if not training["energy"]["assumptions"]["gpu_watts"]:  # a CPU-only run: no GPU term
        assert "GPU" not in report.split("| Energie |")[1].split("\n")[0]
    warmup = training["training"]["warmup_steps"]
    assert f"lineares Aufwärmen über {warmup} Schritte, dann Kosinus-Abfall" in report
    assert re.search(r"\| Behandlung \| (vortrainiert|für \w+ feinabgestimmt) \|", report)
    assert "| Datensatz (`dataset`) | `ds-" in report
    assert "Betas 0,9 / 0,95" in report and "Betas [" not in report  # as German writes them
    reasons = report.split("| Grund des Ausschlusses |")[1].split("\n\n")[0].splitlines()[2:]
    assert reasons
    for line in reasons:
        assert re.match(r"\| [^`|]+ \(`[^`]+`\) \| \d+ \|", line), line
    verify_bundle(bundle)  # verify renders the report again with the same words


def test_audit_categories_are_named_with_their_key_beside() -> None:
    assert category_said("age", "de") == "Alter (`age`)"
    assert category_said("east_west", "de") == "Ost/West (`east_west`)"
    assert category_said("own_category", "de") == "`own_category`"
