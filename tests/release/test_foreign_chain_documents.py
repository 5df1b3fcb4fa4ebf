"""A chain on a foreign base (base → ft1 → ft2) was trained by every one of its fine-tunings:
the Model Documentation Form sums their compute and energy from each link's record in the
bundle (the base's own training left to its provider), the AI Act summary states each link's
data, SPDX each fine-tuning's energy, and `verify` names a total without an earlier link. The
card of a chain on our own model says each link's steps in their number."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gemeingut.model.energy import recorded_kwh
from gemeingut.release.manifest import write_manifest
from gemeingut.release.verify import verify_bundle
from gemeingut.workspace import load_artifact
from tests.finetune_chain import finetune, second_data
from tests.release.test_finetune_release import base_folder, fine_tune, release
from tests.test_cli import invoke

META = "training-metadata"


@pytest.fixture(scope="module")
def foreign_chain(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A tiny foreign Llama → ft1 (merged LoRA, 4 steps) → ft2 (full, 1 step), ft2 released."""
    root = tmp_path_factory.mktemp("foreign-chain-documents")
    ft1 = fine_tune(root, base_folder(root), "--merge", "--license", "Apache-2.0")
    ft2 = finetune(ft1, second_data(root), root / "ft2", "--data-license", "CC0-1.0")
    return {"bundle": release(root, ft2), "earlier": load_artifact(ft1).id}


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _records(chain: dict) -> dict[str, dict[str, Any]]:
    """Each fine-tuning's record as the bundle holds it, oldest first."""
    bundle, earlier = chain["bundle"], chain["earlier"]
    rels = [f"{META}/finetuning-earlier/{earlier}/finetune.json", f"{META}/finetune.json"]
    return {rel: _json(bundle / rel) for rel in rels}


def _flops(record: dict[str, Any]) -> int:
    return 6 * record["stats"]["parameters"] * record["stats"]["tokens_seen"]


def test_the_form_counts_every_fine_tuning_of_the_chain(foreign_chain: dict) -> None:
    verify_bundle(foreign_chain["bundle"])
    records = _records(foreign_chain)
    form = _json(foreign_chain["bundle"] / "model_documentation.json")
    compute, energy = form["computational_resources"], form["energy_consumption"]
    kwh = [recorded_kwh(record["energy"]) for record in records.values()]
    assert all(kwh) and len(set(kwh)) == 2
    assert energy["kwh"] == pytest.approx(sum(kwh), rel=1e-12)
    assert compute["training_compute_flops"] == sum(_flops(r) for r in records.values())
    seconds = [record["stats"]["wall_seconds_total"] for record in records.values()]
    assert compute["training_time_seconds"] == round(sum(seconds), 3)
    stage = f"earlier fine-tuning {foreign_chain['earlier']}"
    for said in (compute, energy):  # each link by its own record; no pretraining of ours
        assert list(said["stages"]) == [stage, "fine-tuning"]
        assert [s["record"] for s in said["stages"].values()] == list(records)
        assert "not_recorded" not in said
    assert energy["stages"][stage]["kwh"] == kwh[0]
    assert energy["base_model"] == "not stated by the base"
    dependencies = form["general_information"]["model_dependencies"]
    assert f"through the earlier fine-tunes `{foreign_chain['earlier']}`" in dependencies
    earlier = next(iter(records.values()))
    examples = form["training_data"]["earlier_fine_tunes_examples"]
    assert examples == {foreign_chain["earlier"]: earlier["data"]["train"]["examples"]}


def test_the_summary_states_every_link_s_data(foreign_chain: dict) -> None:
    bundle, earlier = foreign_chain["bundle"], foreign_chain["earlier"]
    first, last = _records(foreign_chain).values()
    summary = (bundle / "AI_ACT_SUMMARY.md").read_text(encoding="utf-8")
    assert f"über die früheren Feinabstimmungen `{earlier}`, deren Daten" in summary
    steps = first["stats"]["steps"]
    assert steps == 4 and last["stats"]["steps"] == 1
    assert (
        f"- Größe der Trainingsdaten (Text) der früheren Feinabstimmung {earlier}: "
        f"{first['data']['train']['examples']} Trainingsbeispiele"
    ) in summary
    said = [line for line in summary.splitlines() if "Größe der Trainingsdaten" in line]
    assert said[0].endswith("(4 Schritte)") and said[1].endswith("(1 Schritt)"), said
    assert said[1].startswith(
        f"- Größe der Trainingsdaten (Text) der veröffentlichten Feinabstimmung: "
        f"{last['data']['train']['examples']} Trainingsbeispiele"
    )
    assert f"veröffentlicht in `training-data/finetuning-earlier/{earlier}/`" in summary


def test_spdx_states_every_fine_tuning_s_energy(foreign_chain: dict) -> None:
    kwh = [recorded_kwh(record["energy"]) for record in _records(foreign_chain).values()]
    graph = _json(foreign_chain["bundle"] / "spdx.json")["@graph"]
    model = next(
        e for e in graph if e.get("type") == "ai_AIPackage" and "ai_energyConsumption" in e
    )
    tuned = model["ai_energyConsumption"]["ai_finetuningEnergyConsumption"]
    assert [float(e["ai_energyQuantity"]) for e in tuned] == pytest.approx(kwh, rel=1e-12)
    assert foreign_chain["earlier"] in model["ai_informationAboutTraining"]


def _refused(bundle: Path) -> str:
    result = invoke("verify", bundle)
    said = " ".join(result.output.split())
    assert result.exit_code == 1, said
    return said


def test_a_total_of_the_last_fine_tuning_alone_is_named_by_verify(
    foreign_chain: dict, tmp_path: Path
) -> None:
    """The form's totals as they were before: the released fine-tuning's alone."""
    bundle = shutil.copytree(foreign_chain["bundle"], tmp_path / "bundle")
    path = bundle / "model_documentation.json"
    form = _json(path)
    last = form["energy_consumption"]["stages"]["fine-tuning"]["kwh"]
    form["energy_consumption"]["kwh"] = last
    path.write_text(json.dumps(form, indent=2, ensure_ascii=False) + "\n", "utf-8")
    write_manifest(bundle)
    said = _refused(bundle)
    assert "model_documentation.json" in said and "energy_consumption.kwh" in said


def test_an_earlier_link_s_changed_energy_is_named_by_verify(
    foreign_chain: dict, tmp_path: Path
) -> None:
    """A thousandfold earlier run, the form rendered from it: its record's own numbers say it."""
    bundle = shutil.copytree(foreign_chain["bundle"], tmp_path / "bundle")
    rel = f"{META}/finetuning-earlier/{foreign_chain['earlier']}/finetune.json"
    record = _json(bundle / rel)
    record["energy"]["kwh_this_run"] *= 1000
    (bundle / rel).write_text(json.dumps(record), "utf-8")
    write_manifest(bundle)
    said = _refused(bundle)
    assert f"{rel}: stats.energy_kwh ist" in said


def test_the_card_of_a_chain_on_our_own_model_says_one_step(released_chain: dict) -> None:
    """ft2 trained one step: "1 Schritt", as the card of a chain on a foreign base says it,
    in the chain and in the sentence on its own fine-tuning."""
    bundle, ft2 = released_chain["bundle"], load_artifact(released_chain["ft2"])
    assert ft2.meta["stats"]["steps"] == 1
    card = " ".join((bundle / "README.md").read_text(encoding="utf-8").split())
    assert f"`{ft2.id}` (1 Schritt mit `training-data/finetuning/`" in card
    assert "Parameter in 1 Schritt auf 7 Beispielen trainiert." in card
    assert "1 Schritte" not in card and "1 Schritten" not in card
