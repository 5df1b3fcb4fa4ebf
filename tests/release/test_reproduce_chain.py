"""`gemeingut reproduce` rebuilds a fine-tune of a fine-tune (base → ft1 → ft2, released) link by
link with the bundle's own code, and finds every artifact equal (the dataset's publication
too); an earlier fine-tune's data changed in the bundle with every hash of it rewritten (the
lineage's too: else `verify` names it, `test_verify_finetune_data.py`) is named as the
artifact that differs, with where it differs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.errors import InputError
from gemeingut.hashing import sha256_file
from gemeingut.release.manifest import write_manifest
from gemeingut.release.reproduce_chain import reproduce_chain
from gemeingut.workspace import load_artifact
from tests.finetune_chain import release
from tests.test_cli import invoke


@pytest.fixture(scope="module")
def chain_release(released_chain: dict, tiny_build: dict, tmp_path_factory) -> dict:
    """The chain released with its recipe, a description (both go into the release's id), an
    audit of the released fine-tune (a small one: it runs again in each rebuild) and the
    dataset's publication."""
    root = tmp_path_factory.mktemp("chain-release")
    info = root / "info.toml"
    info.write_text(
        'title_de = "Winzkorpus"\ntitle_en = "Tiny corpus"\ndescription_de = "Ein Korpus."\n'
        'publisher_name = "Testamt"\ndownload_url = "https://example.org/winz"\n',
        encoding="utf-8",
    )
    published = invoke(
        "data", "publish", tiny_build["dataset"]["path"], "--info", info, "--out", root / "pub"
    )
    assert published.exit_code == 0, published.output
    audit = root / "audit"
    result = invoke(
        "audit", "memorisation", released_chain["ft2"], "--out", audit, "--samples", "3",
        "--prefix-tokens", "4", "--continuation-tokens", "4",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = release(
        tiny_build, released_chain["ft2"], released_chain["root"] / "eval2", root / "release",
        "--recipe", tiny_build["recipe"], "--description", "Eine winzige Kette.", "--audit", audit,
        "--publication", root / "pub",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return {**released_chain, "release": root / "release"}


def test_a_chain_is_rebuilt_link_by_link_with_every_artifact_equal(
    chain_release: dict, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    result = invoke("reproduce", chain_release["release"], "--workspace", again, "--json")
    assert result.exit_code == 0, result.output
    rows = {row["role"]: row for row in json.loads(result.stdout)["artifacts"]}
    ft1, ft2 = load_artifact(chain_release["ft1"]), load_artifact(chain_release["ft2"])
    assert rows["finetune_earlier_1"]["recorded_id"] == ft1.id
    assert rows["finetune"]["recorded_id"] == ft2.id
    assert {"dataset", "publication", "tokenizer", "model", "evaluation", "audit"} <= set(rows)
    assert "release" in rows
    assert [role for role, row in rows.items() if not row["equal"]] == []
    said = " ".join(result.stderr.split())  # each stage named as it starts, the fine-tunes by id
    assert f"Feinabstimmung {ft1.id} beginnt" in said
    assert f"Feinabstimmung {ft2.id} beginnt" in said
    rebuilt = again / "workspace" / "model" / ft2.id / "model.safetensors"
    assert rebuilt.read_bytes() == (chain_release["ft2"] / "model.safetensors").read_bytes()


def test_a_changed_earlier_fine_tunes_data_is_named_as_what_differs(
    released_chain: dict, tmp_path: Path
) -> None:
    """On the chain released without recipe or audit (`conftest.py`): the data changed and
    every hash of it rewritten, the lineage's too, as a forger would (`verify` then finds the
    bundle consistent): the rebuild names the fine-tune made from it as the first that
    differs."""
    ft1 = load_artifact(released_chain["ft1"])
    copy = tmp_path / "release"
    shutil.copytree(released_chain["bundle"].parent, copy)
    bundle = copy / "bundle"
    data = sorted((bundle / "training-data" / "finetuning-earlier" / ft1.id).rglob("*.jsonl"))[0]
    before = sha256_file(data)
    data.write_text(data.read_text("utf-8").replace("Antwort 3.", "Antwort 4."), "utf-8")
    after = sha256_file(data)
    for document in ("bom.cdx.json", "spdx.json", "training-metadata/lineage.json"):
        path = bundle / document
        path.write_text(path.read_text("utf-8").replace(before, after), "utf-8")
    write_manifest(bundle)
    assert invoke("verify", bundle).exit_code == 0
    result = invoke("reproduce", copy, "--workspace", tmp_path / "again", "--json")
    assert result.exit_code == 1, result.output
    rows = json.loads(result.stdout)["artifacts"]
    differing = [row for row in rows if not row["equal"]]
    earlier = differing[0]  # the first that differs, in the order of the rebuild
    assert earlier["role"] == "finetune_earlier_1" and earlier["recorded_id"] == ft1.id
    assert earlier["rebuilt_id"] != ft1.id and "model.safetensors" in earlier["differing"]
    # the earlier fine-tune's weights are not in the bundle: their two hashes are shown
    [weights] = earlier["details"]["model.safetensors"]
    assert weights.startswith("sha256 ") and " ≠ " in weights
    assert {row["role"] for row in rows if row["equal"]} == {"dataset", "tokenizer", "model"}


def test_a_chain_whose_links_another_gemeingut_made_is_refused_before_training(
    chain_release: dict, tmp_path: Path
) -> None:
    """An id holds the code's version: a pretraining made by an older gemeingut cannot come out
    the same from the bundle's code, and is named before anything trains."""
    bundle = chain_release["release"] / "bundle"
    lineage = json.loads((bundle / "training-metadata" / "lineage.json").read_text("utf-8"))
    lineage["model"]["code"] = "gemeingut 0.0.9+src.0123456789"
    with pytest.raises(InputError) as refused:
        reproduce_chain(bundle, lineage, tmp_path / "again")
    assert "model (gemeingut 0.0.9+src.0123456789)" in str(refused.value)
    assert not (tmp_path / "again").exists()


def test_a_chain_the_bundle_cannot_rebuild_is_refused_in_words(
    chain_release: dict, tmp_path: Path
) -> None:
    bundle = chain_release["release"] / "bundle"
    lineage = json.loads((bundle / "training-metadata" / "lineage.json").read_text("utf-8"))
    without = {role: meta for role, meta in lineage.items() if role != "dataset"}
    with pytest.raises(InputError, match="fehlt dataset: eine Kette beginnt"):
        reproduce_chain(bundle, without, tmp_path / "a")
    old = tmp_path / "old"  # a snapshot from before the chain's rebuild
    shutil.copytree(bundle, old)
    (old / "training-code" / "gemeingut" / "release" / "rebuild_chain.py").unlink()
    with pytest.raises(InputError, match="zu alt ist, um eine Feinabstimmung einer Feinabstimmung"):
        reproduce_chain(old, lineage, tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
