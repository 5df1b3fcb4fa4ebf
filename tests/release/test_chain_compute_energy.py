"""A fine-tune of a fine-tune (pretrained → ft1 → ft2) was trained by every run of its chain:
the Model Documentation Form, SPDX and CycloneDX count the earlier fine-tune's compute and
energy from its own record in the bundle, `verify` names an earlier record's number that was
changed, and a run that recorded no energy is named as not recorded, never estimated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gemeingut.i18n import as_written
from gemeingut.model.energy import recorded_kwh
from gemeingut.release.manifest import write_manifest
from gemeingut.release.openness.ai_act import model_documentation
from gemeingut.release.openness.evidence import collect
from gemeingut.release.technical_report import render_technical_report
from gemeingut.workspace import load_artifact
from tests.test_cli import invoke

META = "training-metadata"


@pytest.fixture
def chain(released_chain: dict) -> dict:
    """base → ft1 (the build's fine-tune) → ft2, released."""
    earlier = load_artifact(released_chain["ft1"]).id
    return {"bundle": released_chain["bundle"], "earlier": earlier}


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _records(bundle: Path, earlier: str) -> dict[str, dict[str, Any]]:
    """Each run's record as the bundle holds it, oldest first."""
    return {
        f"{META}/training.json": _json(bundle / META / "training.json"),
        f"{META}/finetuning-earlier/{earlier}/finetune.json": _json(
            bundle / META / "finetuning-earlier" / earlier / "finetune.json"
        ),
        f"{META}/finetune.json": _json(bundle / META / "finetune.json"),
    }


def _flops(record: dict[str, Any]) -> int:
    if "flops" in record:  # the pretraining's own count
        return record["flops"]["flops_6nd"]
    return 6 * record["stats"]["parameters"] * record["stats"]["tokens_seen"]


def _copy(chain: dict, tmp_path: Path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(chain["bundle"], copy)
    return copy


def _thousandfold(bundle: Path, earlier: str, *copies: str) -> float:
    """The earlier fine-tune's recorded kWh a thousandfold, in its `energy` and in the
    `copies` named ("stats": its stats, "lineage": the lineage's), the MANIFEST written
    again; the kWh it now states."""
    path = bundle / META / "finetuning-earlier" / earlier / "finetune.json"
    record = _json(path)
    assert record["energy"]["method"].startswith("estimate")
    kwh = record["energy"]["kwh_this_run"] = record["energy"]["kwh_this_run"] * 1000
    if "stats" in copies:
        record["stats"]["energy_kwh"] = kwh
    path.write_text(json.dumps(record), "utf-8")
    if "lineage" in copies:
        lineage = _json(bundle / META / "lineage.json")
        lineage["finetune_earlier_1"]["stats"]["energy_kwh"] = kwh
        (bundle / META / "lineage.json").write_text(json.dumps(lineage), "utf-8")
    write_manifest(bundle)
    return kwh


def _refused(bundle: Path) -> str:
    """What `verify` says of a bundle it refuses (exit 1), on one line."""
    result = invoke("verify", bundle)
    said = " ".join(result.output.split())
    assert result.exit_code == 1, said
    return said


def test_the_form_counts_every_run_of_the_chain(chain: dict) -> None:
    bundle, earlier = chain["bundle"], chain["earlier"]
    records = _records(bundle, earlier)
    form = _json(bundle / "model_documentation.json")
    energy, compute = form["energy_consumption"], form["computational_resources"]
    kwh = [recorded_kwh(record["energy"]) for record in records.values()]
    assert all(value for value in kwh)
    assert energy["kwh"] == pytest.approx(sum(kwh), rel=1e-12)
    assert compute["training_compute_flops"] == sum(_flops(r) for r in records.values())
    stage = f"earlier fine-tuning {earlier}"
    assert list(energy["stages"]) == ["pretraining", stage, "fine-tuning"]
    assert [s["record"] for s in energy["stages"].values()] == list(records)
    assert energy["stages"][stage]["kwh"] == kwh[1]
    assert compute["stages"][stage]["training_compute_flops"] == _flops(list(records.values())[1])
    assert "not_recorded" not in energy and "not_recorded" not in compute


def test_spdx_and_cyclonedx_state_the_earlier_fine_tuning_s_energy(chain: dict) -> None:
    bundle, earlier = chain["bundle"], chain["earlier"]
    kwh = [recorded_kwh(record["energy"]) for record in _records(bundle, earlier).values()]
    graph = _json(bundle / "spdx.json")["@graph"]
    model = next(
        e for e in graph if e.get("type") == "ai_AIPackage" and "ai_energyConsumption" in e
    )
    tuned = model["ai_energyConsumption"]["ai_finetuningEnergyConsumption"]
    assert [float(e["ai_energyQuantity"]) for e in tuned] == pytest.approx(kwh[1:], rel=1e-12)
    bom = _json(bundle / "bom.cdx.json")
    card = bom["metadata"]["component"]["modelCard"]
    consumptions = card["considerations"]["environmentalConsiderations"]["energyConsumptions"]
    records = [
        next(p["value"] for p in c["properties"] if p["name"] == "gemeingut:energy-record")
        for c in consumptions
    ]
    assert records == list(_records(bundle, earlier))
    assert [c["activityEnergyCost"]["value"] for c in consumptions] == kwh


def test_fmti_names_every_run_s_record_as_evidence_of_compute(chain: dict) -> None:
    bundle, earlier = chain["bundle"], chain["earlier"]
    rows = {row["indicator"]: row for row in _json(bundle / "fmti.json")["indicators"]}
    records = list(_records(bundle, earlier))
    for indicator in ("Compute usage", "Development duration"):
        evidence = rows[indicator]["evidence"]
        assert [evidence.index(rel) for rel in records] == sorted(
            evidence.index(rel) for rel in records
        ), evidence


def test_an_earlier_fine_tuning_s_changed_energy_is_named_by_verify(
    chain: dict, tmp_path: Path
) -> None:
    bundle, earlier = _copy(chain, tmp_path), chain["earlier"]
    _thousandfold(bundle, earlier)  # the form would sum it: a thousandfold run
    said = _refused(bundle)
    assert f"{META}/finetuning-earlier/{earlier}/finetune.json: stats.energy_kwh ist" in said


def test_an_earlier_fine_tuning_s_changed_stats_are_named_by_the_lineage(
    chain: dict, tmp_path: Path
) -> None:
    bundle, earlier = _copy(chain, tmp_path), chain["earlier"]
    _thousandfold(bundle, earlier, "stats")  # both changed alike
    said = _refused(bundle)
    assert "finetune_earlier_1.stats.energy_kwh ist" in said
    assert f"finetuning-earlier/{earlier}/finetune.json sagt" in said


def test_an_earlier_estimate_changed_in_every_copy_is_computed_again(
    chain: dict, tmp_path: Path
) -> None:
    """The record's energy, its stats and the lineage's copy changed alike: the estimate's own
    formula (watts × seconds, from the record) still names it."""
    bundle, earlier = _copy(chain, tmp_path), chain["earlier"]
    kwh = _thousandfold(bundle, earlier, "stats", "lineage")
    said = _refused(bundle)
    assert f"{earlier}/finetune.json: energy.kwh_this_run ist {kwh}, die Dateien ergeben" in said
    assert "× energy.seconds_this_run" in said


def test_a_total_without_the_earlier_run_is_named_by_verify(chain: dict, tmp_path: Path) -> None:
    """The sum of the pretraining's and the last fine-tuning's alone, as the form said before."""
    bundle = _copy(chain, tmp_path)
    path = bundle / "model_documentation.json"
    form = _json(path)
    stages = form["energy_consumption"]["stages"]
    form["energy_consumption"]["kwh"] = stages["pretraining"]["kwh"] + stages["fine-tuning"]["kwh"]
    path.write_text(json.dumps(form, indent=2, ensure_ascii=False) + "\n", "utf-8")
    write_manifest(bundle)
    said = _refused(bundle)
    assert "model_documentation.json" in said and "energy_consumption.kwh" in said


def test_an_earlier_run_without_recorded_energy_is_named_not_estimated(
    chain: dict, tmp_path: Path
) -> None:
    """A fine-tune made before gemeingut measured fine-tuning's energy: its stage says so, and
    the total is what the other runs recorded, with the stage left out by name."""
    bundle, earlier = _copy(chain, tmp_path), chain["earlier"]
    path = bundle / META / "finetuning-earlier" / earlier / "finetune.json"
    record = _json(path)
    del record["energy"]
    record["stats"].pop("energy_kwh")
    record["stats"].pop("wall_seconds_total")
    path.write_text(json.dumps(record), "utf-8")
    records = _records(bundle, earlier)
    form = model_documentation(bundle, collect(bundle), _json(bundle / "openness.json"))
    energy, compute = form["energy_consumption"], form["computational_resources"]
    stage = f"earlier fine-tuning {earlier}"
    assert energy["not_recorded"] == [stage] and compute["not_recorded"] == [stage]
    assert energy["stages"][stage]["kwh"] == "not recorded by its run"
    assert energy["stages"][stage]["method"] == "not recorded by its run"
    assert compute["stages"][stage]["training_time_seconds"] == "not recorded by its run"
    measured = [recorded_kwh(r.get("energy")) for r in records.values()]
    assert energy["kwh"] == pytest.approx(measured[0] + measured[2], rel=1e-12)
    recorded = [records[f"{META}/training.json"]["wall_seconds"]["total"]]
    recorded.append(records[f"{META}/finetune.json"]["stats"]["wall_seconds_total"])
    assert compute["training_time_seconds"] == round(sum(recorded), 3)
    row = next(
        line
        for line in render_technical_report(bundle).splitlines()
        if line.startswith("| Energie der 3 Läufe der Kette |")
    )
    assert row.endswith(
        f"nicht aufgezeichnet in `{META}/finetuning-earlier/{earlier}/finetune.json` |"
    )


def test_an_earlier_fine_tuning_s_missing_record_is_named_by_verify(
    chain: dict, tmp_path: Path
) -> None:
    bundle, earlier = _copy(chain, tmp_path), chain["earlier"]
    (bundle / META / "finetuning-earlier" / earlier / "finetune.json").unlink()
    write_manifest(bundle)
    said = _refused(bundle)
    assert (
        f"{META}/lineage.json nennt die frühere Feinabstimmung {earlier}, aber dem Paket fehlt "
        f"ihre Aufzeichnung {META}/finetuning-earlier/{earlier}/finetune.json"
    ) in said


def test_the_technical_report_sums_every_run_of_the_chain(chain: dict) -> None:
    """The report's chain paragraph states the form's totals, not the pretraining's alone."""
    bundle = chain["bundle"]
    form = _json(bundle / "model_documentation.json")
    language = _json(bundle / "release.json")["report_language"]
    flops = as_written(f"{form['computational_resources']['training_compute_flops']:.3e}", language)
    kwh = as_written(f"{form['energy_consumption']['kwh']:.3g}", language)
    report = (bundle / "TECHNICAL_REPORT.md").read_text(encoding="utf-8").splitlines()
    assert language == "de"
    summed = "die Summe der Aufzeichnungen ihrer Läufe"
    assert f"| Rechenaufwand der 3 Läufe der Kette | {flops} FLOPs (6·N·D), {summed} |" in report
    assert f"| Energie der 3 Läufe der Kette | {kwh} kWh, {summed} |" in report


def test_an_earlier_record_that_cannot_be_read_back_is_named_itself(
    chain: dict, tmp_path: Path
) -> None:
    """Not as the released fine-tune's record, whose check reads it after its own."""
    bundle, earlier = _copy(chain, tmp_path), chain["earlier"]
    rel = f"{META}/finetuning-earlier/{earlier}/finetune.json"
    record = _json(bundle / rel)
    del record["energy"]["assumptions"]["cpu_threads"]
    (bundle / rel).write_text(json.dumps(record), "utf-8")
    write_manifest(bundle)
    said = _refused(bundle)
    assert f"{rel} lässt sich nicht zurücklesen: das Feld 'cpu_threads' fehlt" in said
    assert f"{META}/finetune.json lässt sich nicht zurücklesen" not in said
