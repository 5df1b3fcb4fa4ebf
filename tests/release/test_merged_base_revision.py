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
from gemeingut.release.layout import FINETUNE_RECORD, OPENNESS
from gemeingut.release.manifest import write_manifest
from gemeingut.release.reproduce_base import recorded_snapshot
from tests.model.tiny_models import make_model
from tests.test_cli import invoke

HUB_ID = "uni-example/winzling"
REVISION = "1" * 40


def _fine_tune(root: Path, base: Path, out: str, *extra: str) -> Path:
    data = root / "antworten.jsonl"
    lines = (
        json.dumps({"prompt": f"Frage {i}?", "completion": f" Antwort {i}."}) for i in range(20)
    )
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tuned = invoke(
        "model", "finetune", base, "--data", data, "--out", root / out, "--steps", "2",
        "--eval-every", "2", "--data-license", "CC0-1.0", "--license", "MIT",
        "--base-license", "MIT", *extra,
    )  # fmt: skip
    assert tuned.exit_code == 0, tuned.output
    return root / out


def _release(root: Path, tuned: Path, out: str, *extra: str) -> Path:
    done = invoke(
        "release", "--finetuned", tuned, "--name", "winzig", "--out", root / out,
        "--license", "MIT", "--base-hub-id", HUB_ID, *extra,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    return root / out / "bundle"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A merged fine-tune (audited, one item per task) and an adapter, both made from a
    snapshot of a Hugging Face cache and released under its Hub id."""
    root = tmp_path_factory.mktemp("revision")
    snapshot = root / "hub" / f"models--{HUB_ID.replace('/', '--')}" / "snapshots" / REVISION
    shutil.copytree(make_model(root / "source"), snapshot)
    merged = _fine_tune(root, snapshot, "ft-merged", "--merge")
    adapter = _fine_tune(root, snapshot, "ft-lora")
    config = root / "audit.toml"
    config.write_text('[audit]\nsuites = ["tasks"]\n[audit.tasks]\nlimit = 1\n', "utf-8")
    audited = invoke("audit", "run", merged, "--out", root / "audit", "--config", config)
    assert audited.exit_code == 0, audited.output
    return {
        "snapshot": snapshot,
        "merged": _release(root, merged, "rel-merged", "--audit", root / "audit"),
        "adapter": _release(root, adapter, "rel-lora"),
    }


def _base(bundle: Path) -> dict:
    return json.loads((bundle / FINETUNE_RECORD).read_text(encoding="utf-8"))["base_model"]


def test_a_merged_fine_tune_names_its_base_by_hub_id_and_revision(made: dict[str, Path]) -> None:
    base = _base(made["merged"])
    assert (base["path"], base["revision"]) == (HUB_ID, REVISION)
    assert recorded_snapshot(made["merged"]) == CachedModel(HUB_ID, REVISION)
    verified = invoke("verify", made["merged"])
    assert verified.exit_code == 0, verified.output


def test_an_adapter_s_record_names_the_revision_its_config_names(made: dict[str, Path]) -> None:
    config = json.loads((made["adapter"] / "model" / "adapter_config.json").read_text("utf-8"))
    assert config["revision"] == _base(made["adapter"])["revision"] == REVISION
    verified = invoke("verify", made["adapter"])
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
    rows = {row["role"]: row for row in json.loads(result.stdout)}
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


def _evaluation_code(bundle: Path) -> dict:
    rating = json.loads((bundle / OPENNESS).read_text(encoding="utf-8"))
    return next(c for c in rating["mof"]["components"] if c["name"] == "Evaluation code")


def test_the_audit_s_task_files_count_as_the_fine_tune_s_evaluation_code(
    made: dict[str, Path], tmp_path: Path
) -> None:
    code = _evaluation_code(made["merged"])
    tasks = sorted(p for p in code["evidence"] if p.startswith("audit/tasks/"))
    assert tasks and all((made["merged"] / p).is_file() for p in tasks), code
    assert "training-code/gemeingut/model/finetune.py" in code["evidence"]
    assert _evaluation_code(made["adapter"])["evidence"] == [
        "training-code/gemeingut/model/finetune.py"
    ]  # no audit: its code snapshot's alone
    bundle = shutil.copytree(made["merged"], tmp_path / "bundle")
    task = bundle / tasks[0]
    task.write_text(task.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    write_manifest(bundle)
    refused = invoke("--lang", "en", "verify", bundle)
    assert refused.exit_code == 1, refused.output
    assert f"{tasks[0]}: not the file the audit ran task" in " ".join(refused.output.split())
