"""A chain whose root is a foreign model in a Hugging Face cache as huggingface_hub writes one
(blobs, `refs/main`, `snapshots/<commit>`), found offline through HF_HOME: ft1 (merged) on the
snapshot → ft2 (merged) on ft1 → ft2 released under the root's Hub id. `verify` passes and
names a revision changed anywhere in the chain; `reproduce` on a plain copy of the root
rebuilds every artifact equal; `openness rate` names what the root withholds. An adapter is no
link: refused as a base, by folder or by release; a LoRA adapter of a released model names the
release's name, and peft loads it alone where the cache holds that release under its Hub id.
`reproduce` rebuilds with the bundle's own code snapshot, not with the gemeingut that runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gemeingut.model.loading import load_causal_lm
from gemeingut.release.manifest import write_manifest
from gemeingut.release.openness.chain_runs import earlier_record
from gemeingut.workspace import load_artifact
from tests.finetune_chain import second_data
from tests.model.hub_cache import COMMIT, cache_model
from tests.release.test_finetune_release import base_folder, fine_tune, release
from tests.test_cli import invoke

HUB_ID = "uni-example/winzling"
RELEASED_ID = "amt-example/winzig-feinjustiert"  # ft1's release, as its publisher names it
LOAD = """
import sys, torch
from peft import AutoPeftModelForCausalLM
adapter, out = sys.argv[1:]
model = AutoPeftModelForCausalLM.from_pretrained(adapter).merge_and_unload()
torch.save(model.state_dict(), out)
"""


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory):
    """The root cached as HUB_ID; ft1 merged on its snapshot, ft2 merged on ft1 (a full
    fine-tune as a link: `test_release_foreign_chain.py`)."""
    from huggingface_hub import constants

    root = tmp_path_factory.mktemp("cached-chain")
    home = root / "home"
    snapshot = cache_model(base_folder(root), HUB_ID, home / "hub")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HOME", str(home))
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setattr(constants, "HF_HUB_OFFLINE", True)
        patch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
        ft1 = fine_tune(root, snapshot, "--merge", "--license", "Apache-2.0")
        tuned = invoke(
            "model", "finetune", ft1, "--data", second_data(root), "--out", root / "ft2",
            "--merge", "--steps", "2", "--eval-every", "2", "--data-license", "CC0-1.0",
        )  # fmt: skip
        assert tuned.exit_code == 0, tuned.output
        ft2 = root / "ft2"
        bundle = release(root, ft2, "--base-hub-id", HUB_ID)
        yield {"root": root, "home": home, "snapshot": snapshot, "ft1": ft1, "ft2": ft2,
               "bundle": bundle}  # fmt: skip


def _said(result) -> str:
    return " ".join(result.output.split())


def test_the_chain_names_its_cached_root_and_verify_passes(chain: dict) -> None:
    bundle, ft1 = chain["bundle"], load_artifact(chain["ft1"])
    record = json.loads((bundle / "training-metadata" / "finetune.json").read_text("utf-8"))
    assert (record["base_model"]["path"], record["base_model"]["revision"]) == (HUB_ID, COMMIT)
    assert record["finetuned_from"]["fingerprint"] == ft1.id
    earlier = json.loads((bundle / earlier_record(ft1.id)).read_text("utf-8"))
    assert (earlier["base_model"]["path"], earlier["base_model"]["revision"]) == (HUB_ID, COMMIT)
    verified = invoke("--lang", "en", "verify", bundle)
    assert verified.exit_code == 0, verified.output


@pytest.mark.parametrize("where", ["released", "earlier"])
def test_a_revision_changed_anywhere_in_the_chain_is_named_by_verify(
    chain: dict, tmp_path: Path, where: str
) -> None:
    """Changed, the MANIFEST hashed again: in the released record, or in the earlier link's
    (which the rebuild of that link would follow)."""
    bundle = shutil.copytree(chain["bundle"], tmp_path / "bundle")
    ft1 = load_artifact(chain["ft1"]).id
    file = "training-metadata/finetune.json" if where == "released" else earlier_record(ft1)
    record = json.loads((bundle / file).read_text("utf-8"))
    other = "2" * 40
    record["base_model"]["revision"] = other
    (bundle / file).write_text(json.dumps(record, indent=2), encoding="utf-8")
    write_manifest(bundle)
    refused = invoke("--lang", "en", "verify", bundle)
    assert refused.exit_code == 1, refused.output
    assert file in _said(refused) and other in _said(refused), refused.output


def test_the_chain_is_reproduced_on_a_plain_copy_of_the_root_equal(
    chain: dict, tmp_path: Path
) -> None:
    plain = shutil.copytree(chain["snapshot"], tmp_path / "basis")  # the files, no cache
    result = invoke(
        "reproduce", chain["bundle"].parent, "--workspace", tmp_path / "again", "--base", plain,
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {row["role"]: row for row in json.loads(result.stdout)["artifacts"]}
    assert list(rows) == ["finetune_earlier_1", "finetune", "release"]
    assert all(row["equal"] for row in rows.values()), rows


def test_openness_rate_names_what_the_cached_root_withholds(chain: dict) -> None:
    rated = invoke("--lang", "en", "openness", "rate", chain["bundle"], "--json")
    assert rated.exit_code == 0, rated.output
    checks = {c["id"]: c for c in json.loads(rated.stdout)["checks"]}
    assert checks["artifacts.five"]["detail"] == (
        "withheld by the base model Winzige Basis: training data, training code, training metadata"
    )


@pytest.fixture(scope="module")
def adapter_release(chain: dict, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A LoRA adapter of the cached root, and its release under the root's Hub id."""
    root = tmp_path_factory.mktemp("adapter")
    adapter = fine_tune(root, chain["snapshot"])
    return {"adapter": adapter, "bundle": release(root, adapter, "--base-hub-id", HUB_ID)}


@pytest.mark.parametrize("given", ["folder", "release", "bundle model"])
def test_an_adapter_is_refused_as_a_base_with_its_own_base_named(
    adapter_release: dict[str, Path], tmp_path: Path, given: str
) -> None:
    bundle = adapter_release["bundle"]
    base = {
        "folder": adapter_release["adapter"], "release": bundle.parent, "bundle model": bundle
        / "model",
    }[given]  # fmt: skip
    result = invoke(
        "--lang", "en", "model", "finetune", base, "--data", second_data(tmp_path), "--out",
        tmp_path / "b", "--steps", "1", "--data-license", "CC0-1.0",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    said = _said(result)
    assert f"is a LoRA adapter of {HUB_ID}, not a whole model" in said, said
    assert "--merge" in said and "Traceback" not in said and not (tmp_path / "b").exists()


def test_reproduce_runs_the_bundle_s_own_code_not_the_current_tree(
    adapter_release: dict[str, Path], chain: dict, tmp_path: Path
) -> None:
    """The gemeingut that reproduces has moved on since the release (a copy of this tree whose
    rebuild module leaves a mark, as any change would differ): the rebuild runs the bundle's
    snapshot, which leaves none, and comes out equal; the current tree ran the comparison."""
    import gemeingut

    current = tmp_path / "current"
    shutil.copytree(
        Path(gemeingut.__file__).parent, current / "gemeingut",
        ignore=shutil.ignore_patterns("__pycache__"),
    )  # fmt: skip
    marks = {"rebuild": tmp_path / "rebuilt-by-current", "compare": tmp_path / "compared"}
    for module, mark in (("rebuild_finetune", "rebuild"), ("reproduce_finetune", "compare")):
        source = current / "gemeingut" / "release" / f"{module}.py"
        first, rest = source.read_text("utf-8").split("from __future__ import annotations\n", 1)
        line = f"__import__('pathlib').Path({str(marks[mark])!r}).touch()\n"
        source.write_text(f"{first}from __future__ import annotations\n{line}{rest}", "utf-8")
    plain = shutil.copytree(chain["snapshot"], tmp_path / "basis")
    environment = os.environ | {"PYTHONPATH": str(current), "HF_HUB_OFFLINE": "1"}
    command = [
        sys.executable, "-m", "gemeingut.cli", "reproduce", adapter_release["bundle"].parent,
        "--workspace", tmp_path / "again", "--base", plain, "--json",
    ]  # fmt: skip
    done = subprocess.run(
        [str(part) for part in command], env=environment, cwd=tmp_path, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    rows = {row["role"]: row for row in json.loads(done.stdout)["artifacts"]}
    assert list(rows) == ["finetune", "release"] and all(r["equal"] for r in rows.values())
    assert marks["compare"].exists() and not marks["rebuild"].exists()


def test_a_lora_adapter_of_a_released_model_loads_with_peft_from_the_cache(
    chain: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ft1's release given as the base (its release folder): the adapter names the release's
    name, is released under the Hub id its publisher gives ft1's release, and peft loads it
    alone where the cache holds that release's model."""
    from huggingface_hub import constants

    released = release(tmp_path, chain["ft1"], "--base-hub-id", HUB_ID)
    (tmp_path / "b").mkdir()
    adapter = fine_tune(tmp_path / "b", released.parent)
    record = json.loads((adapter / "finetune.json").read_text("utf-8"))
    assert record["base_model"]["name"] == "winzig-feinjustiert"
    bundle = release(tmp_path / "b", adapter, "--base-hub-id", RELEASED_ID)
    model = bundle / "model"
    config = json.loads((model / "adapter_config.json").read_text("utf-8"))
    assert config["base_model_name_or_path"] == RELEASED_ID
    verified = invoke("verify", bundle)
    assert verified.exit_code == 0, verified.output
    cache = tmp_path / "cache"
    cache_model(released / "model", RELEASED_ID, cache)
    environment = os.environ | {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(model), str(tmp_path / "alone.pt")],
        env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    alone = torch.load(tmp_path / "alone.pt")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    expected = load_causal_lm(model).state_dict()
    assert alone.keys() == expected.keys()
    assert all(torch.equal(alone[k], v) for k, v in expected.items())
