"""A chain on a foreign base (base → ft1 → ft2, each a gemeingut fine-tune of the one before)
is released as the bundle of a foreign base's fine-tune that holds every link's data and
record, passes `verify`, and is rebuilt by `reproduce` link by link on the base folder given,
every artifact equal (times aside), as a chain on our own model is."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.errors import InputError, VerifyError
from gemeingut.i18n import text
from gemeingut.release.finetune_chain import lineage_base_problems
from gemeingut.release.manifest import SIGNATURE, write_manifest
from gemeingut.release.reproduce_finetune import reproduce_finetune
from gemeingut.release.verify import verify_bundle
from gemeingut.workspace import load_artifact
from tests.finetune_chain import finetune, second_data
from tests.release.test_finetune_release import base_folder, fine_tune, release
from tests.test_cli import invoke


@pytest.fixture(scope="module")
def foreign_chain(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A tiny Llama folder of a foreign publisher → ft1 (merged LoRA, Apache-2.0) → ft2 (full,
    its data CC0-1.0), ft2 released."""
    root = tmp_path_factory.mktemp("foreign-chain")
    base = base_folder(root)
    ft1 = fine_tune(root, base, "--merge", "--license", "Apache-2.0")
    ft2 = finetune(ft1, second_data(root), root / "ft2", "--data-license", "CC0-1.0")
    return {"root": root, "base": base, "ft1": ft1, "ft2": ft2, "bundle": release(root, ft2)}


def test_a_chain_on_a_foreign_base_is_released_with_every_links_data(foreign_chain: dict) -> None:
    bundle = foreign_chain["bundle"]
    verify_bundle(bundle)
    ft1, ft2 = load_artifact(foreign_chain["ft1"]), load_artifact(foreign_chain["ft2"])
    lineage = json.loads((bundle / "training-metadata" / "lineage.json").read_text("utf-8"))
    assert list(lineage) == ["finetune_earlier_1", "finetune"]
    assert lineage["finetune_earlier_1"]["id"] == ft1.id and lineage["finetune"]["id"] == ft2.id
    earlier = bundle / "training-metadata" / "finetuning-earlier" / ft1.id
    assert sorted(p.name for p in earlier.iterdir()) == ["finetune.json", "finetune_log.jsonl"]
    held = bundle / "training-data" / "finetuning-earlier" / ft1.id / "antworten.jsonl"
    assert held.read_bytes() == (foreign_chain["root"] / "antworten.jsonl").read_bytes()
    # the bundle's base is the chain's foreign base, the fine-tune it was made from kept by id
    record = json.loads((bundle / "training-metadata" / "finetune.json").read_text("utf-8"))
    assert record["base_model"]["name"] == "Winzige Basis"
    assert record["base_model"]["fingerprint"] == ft1.meta["inputs"]["base"]
    assert record["finetuned_from"]["fingerprint"] == ft1.id
    listed = json.loads((bundle / "base-model" / "files.json").read_text("utf-8"))
    assert "model.safetensors" in listed
    card = " ".join((bundle / "README.md").read_text(encoding="utf-8").split())
    chain = f"Kette von Feinabstimmungen des Basismodells: `Winzige Basis` → `{ft1.id}` ("
    assert chain in card and f"→ `{ft2.id}` (1 Schritt mit `training-data/finetuning/`" in card
    assert f"`{ft1.id}` (4 Schritte mit `training-data/finetuning-earlier/{ft1.id}/`" in card
    release_meta = json.loads((bundle.parent / "artifact.json").read_text("utf-8"))
    assert release_meta["inputs"]["earlier_finetunes"] == ft1.id


def test_verify_names_a_released_record_whose_earlier_link_is_not_the_lineage_s(
    foreign_chain: dict, tmp_path: Path
) -> None:
    """`finetuned_from` is checked against the base the lineage gives the released fine-tune
    (the id its own id hashes): one edited, the MANIFEST hashed again, is named."""
    copy = shutil.copytree(foreign_chain["bundle"], tmp_path / "bundle")
    record_file = copy / "training-metadata" / "finetune.json"
    record = json.loads(record_file.read_text("utf-8"))
    record["finetuned_from"]["fingerprint"] = "anderes-modell"
    record_file.write_text(json.dumps(record, indent=2), encoding="utf-8")
    (copy / SIGNATURE).unlink(missing_ok=True)
    write_manifest(copy)
    with pytest.raises(VerifyError) as failed:
        verify_bundle(copy)
    ft1 = load_artifact(foreign_chain["ft1"]).id
    said = " ".join(str(failed.value).split())
    assert "finetuned_from.fingerprint ist anderes-modell, training-metadata/lineage.json " in said
    assert f"nennt {ft1} als die Basis, aus der es feinabgestimmt wurde" in said, said


def test_a_finetuned_from_outside_a_chain_is_named() -> None:
    """`reproduce` compares the base `finetuned_from` names in place of `base_model`: a record
    of a single fine-tune that holds one is named, not compared."""
    lineage = {"finetune": {"inputs": {"base": "sha256:echt"}}}
    record = {
        "base_model": {"fingerprint": "sha256:andere"},
        "finetuned_from": {"fingerprint": "sha256:echt"},
    }
    found = lineage_base_problems(lineage, "finetune", record, "finetune.json", "lineage.json")
    assert [text(problem, "en") for problem in found] == [
        "finetune.json names a model it was fine-tuned from (finetuned_from), but lineage.json "
        "holds no earlier fine-tune before it"
    ]
    del record["finetuned_from"]
    found = lineage_base_problems(lineage, "finetune", record, "finetune.json", "lineage.json")
    assert [text(problem, "en") for problem in found] == [
        "finetune.json: base_model.fingerprint is sha256:andere, lineage.json gives sha256:echt "
        "as the base it was fine-tuned from"
    ]


def test_a_chain_on_a_foreign_base_is_reproduced_link_by_link(
    foreign_chain: dict, tmp_path: Path
) -> None:
    """Rebuilt on a copy of the base in another folder (another machine's path): ft1 on the
    base, ft2 on ft1 under the name ft2 recorded for it, then the release; every id and
    every file equal (times aside)."""
    elsewhere = shutil.copytree(foreign_chain["base"], tmp_path / "anderswo" / "basis")
    release_folder = foreign_chain["bundle"].parent
    again = ("--workspace", tmp_path / "again", "--base", elsewhere, "--json")
    result = invoke("reproduce", release_folder, *again)
    assert result.exit_code == 0, result.output
    rows = {row["role"]: row for row in json.loads(result.stdout)["artifacts"]}
    assert list(rows) == ["finetune_earlier_1", "finetune", "release"]
    assert rows["finetune_earlier_1"]["recorded_id"] == load_artifact(foreign_chain["ft1"]).id
    assert all(row["equal"] and row["recorded_id"] == row["rebuilt_id"] for row in rows.values())
    said = " ".join(result.stderr.split())
    assert f"Feinabstimmung {rows['finetune_earlier_1']['recorded_id']} beginnt" in said
    ft2 = load_artifact(foreign_chain["ft2"])
    rebuilt = tmp_path / "again" / "workspace" / "model" / ft2.id / "model.safetensors"
    assert rebuilt.read_bytes() == (foreign_chain["ft2"] / "model.safetensors").read_bytes()


def test_a_chain_needs_the_base_and_names_links_another_gemeingut_made(
    foreign_chain: dict, tmp_path: Path
) -> None:
    bundle = foreign_chain["bundle"]
    result = invoke("reproduce", bundle, "--workspace", tmp_path / "a")
    assert result.exit_code == 2 and "--base" in result.stderr
    copy = shutil.copytree(bundle, tmp_path / "bundle")
    lineage_file = copy / "training-metadata" / "lineage.json"
    lineage = json.loads(lineage_file.read_text("utf-8"))
    lineage["finetune_earlier_1"]["code"] = "gemeingut 0.0.9+src.0123456789"
    lineage_file.write_text(json.dumps(lineage, indent=2), encoding="utf-8")
    with pytest.raises(InputError) as refused:
        reproduce_finetune(copy, lineage, tmp_path / "b", foreign_chain["base"])
    assert "finetune_earlier_1 (gemeingut 0.0.9+src.0123456789)" in str(refused.value)
    assert not (tmp_path / "b").exists()  # refused before any training


def test_a_fine_tune_of_our_own_pretraining_is_still_refused_alone(tiny_build, tmp_path) -> None:
    """A chain that reaches our own pretraining belongs in that pretraining's bundle."""
    result = invoke(
        "release", "--finetuned", tiny_build["finetune"]["path"], "--name", "x", "--out",
        tmp_path / "r",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "dessen eigene Artefakte in sein Paket gehören" in " ".join(result.output.split())
    assert not (tmp_path / "r").exists()


def test_a_lora_adapter_at_the_end_of_a_chain_is_refused(foreign_chain: dict, tmp_path) -> None:
    """peft would load its base by name, and that base (ft2) is neither on the Hub nor in the
    bundle: refused before anything is written."""
    adapter = tmp_path / "adapter"
    tuned = invoke(
        "model", "finetune", foreign_chain["ft2"], "--data", second_data(tmp_path), "--out",
        adapter, "--steps", "1", "--eval-every", "1", "--data-license", "CC0-1.0",
    )  # fmt: skip
    assert tuned.exit_code == 0, tuned.output
    assert (adapter / "adapter_config.json").is_file()
    result = invoke("release", "--finetuned", adapter, "--name", "x", "--out", tmp_path / "r")
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert (
        f"ist ein LoRA-Adapter der Feinabstimmung {load_artifact(foreign_chain['ft2']).id}" in said
    )
    assert "--merge" in said and not (tmp_path / "r").exists()
