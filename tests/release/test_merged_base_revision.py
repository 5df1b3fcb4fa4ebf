"""A fine-tune of a base from the Hugging Face cache names the revision it was made from in the
bundle's record of its base (`finetune.json` `base_model.revision`), merged or adapter alike:
a merged fine-tune has no adapter_config.json to keep it. `reproduce` gets a plain copy of the
same files as that revision, so the rebuild names its base as the fine-tune did; `verify` names
a revision that is no commit, or that is not the adapter's; a refusal for a missing base names
the download of that revision; and the audit's lm-eval task files in the bundle count as its
evaluation code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.errors import InputError
from gemeingut.i18n import text
from gemeingut.model.finetune_base_reference import CachedModel
from gemeingut.model.loading import adapter_base
from gemeingut.release.layout import CARD, FINETUNE_RECORD
from gemeingut.release.manifest import write_manifest
from gemeingut.release.openness.cyclonedx import BOM_FILE
from gemeingut.release.openness.spdx import SPDX_FILE
from gemeingut.release.reproduce_base import recorded_snapshot
from tests.model.tiny_models import make_model
from tests.release.test_bundle_audit_task_code import evaluation_code
from tests.release.test_finetune_release import fine_tune, release
from tests.test_cli import invoke

HUB_ID = "uni-example/winzling"
REVISION = "1" * 40
LICENCES = ("--license", "Apache-2.0", "--base-license", "Apache-2.0")  # the release's licence
HUB = ("--base-hub-id", HUB_ID)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A merged fine-tune (audited, one item per task) and an adapter, both made from a
    snapshot of a Hugging Face cache and released under its Hub id."""
    root = tmp_path_factory.mktemp("revision")
    snapshot = root / "hub" / f"models--{HUB_ID.replace('/', '--')}" / "snapshots" / REVISION
    shutil.copytree(make_model(root / "source"), snapshot)
    merged = fine_tune(_folder(root / "merged"), snapshot, "--merge", *LICENCES)
    adapter = fine_tune(_folder(root / "adapter"), snapshot, *LICENCES)
    config = root / "audit.toml"
    config.write_text('[audit]\nsuites = ["tasks"]\n[audit.tasks]\nlimit = 1\n', "utf-8")
    audited = invoke("audit", "run", merged, "--out", root / "audit", "--config", config)
    assert audited.exit_code == 0, audited.output
    return {
        "snapshot": snapshot,
        "merged": release(merged.parent, merged, *HUB, "--audit", root / "audit"),
        "adapter": release(adapter.parent, adapter, *HUB),
    }


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _base(bundle: Path) -> dict:
    return json.loads((bundle / FINETUNE_RECORD).read_text(encoding="utf-8"))["base_model"]


def test_a_merged_fine_tune_names_its_base_by_hub_id_and_revision(made: dict[str, Path]) -> None:
    base = _base(made["merged"])
    assert (base["path"], base["revision"]) == (HUB_ID, REVISION)
    assert recorded_snapshot(made["merged"]) == CachedModel(HUB_ID, REVISION)
    verified = invoke("verify", made["merged"])
    assert verified.exit_code == 0, verified.output


def test_the_card_and_the_bills_of_materials_name_the_base_s_revision(
    made: dict[str, Path],
) -> None:
    """The revision the record names, not `main`: the card says it, CycloneDX and SPDX give it
    as the base component's version."""
    bundle = made["merged"]
    card = (bundle / CARD).read_text(encoding="utf-8")
    assert f"feinabgestimmt aus `{HUB_ID}` in der Revision `{REVISION}`" in card
    bom = json.loads((bundle / BOM_FILE).read_text(encoding="utf-8"))
    bases = [c for c in _components(bom) if c.get("bom-ref") == "base-model"]
    assert [(c["name"], c.get("version")) for c in bases] == [(HUB_ID, REVISION)]
    spdx = json.loads((bundle / SPDX_FILE).read_text(encoding="utf-8"))
    packages = [e for e in spdx["@graph"] if e.get("type") == "ai_AIPackage"]
    versions = {p["name"]: p.get("software_packageVersion") for p in packages}
    assert versions[HUB_ID] == REVISION


def _components(bom: dict) -> list[dict]:
    listed = bom.get("components", [])
    return [*listed, *(inner for c in listed for inner in _components(c))]


def test_an_adapter_s_record_names_the_revision_its_config_names(made: dict[str, Path]) -> None:
    config = json.loads((made["adapter"] / "model" / "adapter_config.json").read_text("utf-8"))
    assert config["revision"] == _base(made["adapter"])["revision"] == REVISION
    verified = invoke("verify", made["adapter"])
    assert verified.exit_code == 0, verified.output


def test_an_adapter_made_before_it_kept_its_revision_is_released_with_the_records(
    made: dict[str, Path], tmp_path: Path
) -> None:
    """An adapter fine-tuned before adapters named their revision (2026-12-06) has none in its
    config; the release names the snapshot's, as the record does, instead of failing its own
    check (peft would load `main`)."""
    tuned = fine_tune(_folder(tmp_path / "alt"), made["snapshot"], *LICENCES)
    config_file = tuned / "adapter_config.json"
    config = json.loads(config_file.read_text("utf-8"))
    config_file.write_text(json.dumps({k: v for k, v in config.items() if k != "revision"}))
    bundle = release(tuned.parent, tuned, *HUB)
    released = json.loads((bundle / "model" / "adapter_config.json").read_text("utf-8"))
    assert released["revision"] == _base(bundle)["revision"] == REVISION
    verified = invoke("verify", bundle)
    assert verified.exit_code == 0, verified.output


def test_a_base_missing_from_the_cache_is_downloaded_at_the_adapter_s_revision(
    made: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`main` may name other weights by now: the command the refusal gives fetches those the
    adapter was trained on."""
    from huggingface_hub import constants

    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty"))
    with pytest.raises(InputError) as refused:
        adapter_base(made["adapter"] / "model")
    said = " ".join(text(refused.value.explained(), "en").split())
    assert f"`hf download {HUB_ID} --revision {REVISION}`" in said


def test_a_plain_copy_of_the_cached_base_reproduces_the_merged_fine_tune_equal(
    made: dict[str, Path], tmp_path: Path
) -> None:
    """The same files outside the cache: the rebuild gets them as the recorded revision and
    names its base by the Hub id again (before, by the plain folder's name: a difference)."""
    plain = shutil.copytree(made["snapshot"], tmp_path / "basis")
    result = invoke(
        "reproduce", made["merged"].parent, "--workspace", tmp_path / "again", "--base", plain,
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {row["role"]: row for row in json.loads(result.stdout)["artifacts"]}
    assert set(rows) == {"finetune", "audit", "release"}
    assert all(row["equal"] for row in rows.values()), rows


def _with_revision(bundle: Path, to: Path, revision: str) -> Path:
    """A copy of `bundle` whose record names `revision`, its MANIFEST hashed again (as anyone
    who hands over the bundle can)."""
    copy = shutil.copytree(bundle, to)
    record = json.loads((copy / FINETUNE_RECORD).read_text(encoding="utf-8"))
    record["base_model"]["revision"] = revision
    (copy / FINETUNE_RECORD).write_text(json.dumps(record, indent=2), encoding="utf-8")
    write_manifest(copy)
    return copy


def test_verify_names_a_revision_that_is_no_commit_or_not_the_adapter_s(
    made: dict[str, Path], tmp_path: Path
) -> None:
    merged = _with_revision(made["merged"], tmp_path / "merged", "../main")
    said = " ".join(invoke("--lang", "en", "verify", merged).output.split())
    assert (
        "training-metadata/finetune.json: base_model.revision '../main' is no commit of the "
        "Hugging Face Hub (40 hexadecimal digits)"
    ) in said
    assert recorded_snapshot(merged) is None  # never joined into a folder path
    other = "2" * 40
    adapter = _with_revision(made["adapter"], tmp_path / "adapter", other)
    refused = invoke("--lang", "en", "verify", adapter)
    assert refused.exit_code == 1, refused.output
    assert (
        f"model/adapter_config.json: the base's revision is {REVISION}, but "
        f"training-metadata/finetune.json names {other}"
    ) in " ".join(refused.output.split())


def test_verify_names_an_adapter_that_names_no_revision(
    made: dict[str, Path], tmp_path: Path
) -> None:
    """peft writes `null` where it was given no revision, and then loads `main`."""
    adapter = shutil.copytree(made["adapter"], tmp_path / "adapter")
    config_file = adapter / "model" / "adapter_config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config_file.write_text(json.dumps({**config, "revision": None}), encoding="utf-8")
    write_manifest(adapter)
    refused = invoke("--lang", "en", "verify", adapter)
    assert refused.exit_code == 1, refused.output
    assert (
        "model/adapter_config.json names no revision of the base, so peft loads its `main`, "
        f"but training-metadata/finetune.json names {REVISION}"
    ) in " ".join(refused.output.split())


def test_the_audit_s_task_files_count_as_the_fine_tune_sevaluation_code(
    made: dict[str, Path], tmp_path: Path
) -> None:
    code = evaluation_code(made["merged"])
    tasks = sorted(p for p in code["evidence"] if p.startswith("audit/tasks/"))
    assert tasks and all((made["merged"] / p).is_file() for p in tasks), code
    assert "training-code/gemeingut/model/finetune.py" in code["evidence"]
    assert evaluation_code(made["adapter"])["evidence"] == [
        "training-code/gemeingut/model/finetune.py"
    ]  # no audit: its code snapshot's alone
    bundle = shutil.copytree(made["merged"], tmp_path / "bundle")
    task = bundle / tasks[0]
    task.write_text(task.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    write_manifest(bundle)
    refused = invoke("--lang", "en", "verify", bundle)
    assert refused.exit_code == 1, refused.output
    assert f"{tasks[0]}: not the file the audit ran task" in " ".join(refused.output.split())
