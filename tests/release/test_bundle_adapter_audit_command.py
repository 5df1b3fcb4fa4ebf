"""A released LoRA adapter's audit publishes an lm_eval command that runs as written from the
bundle's audit/: `peft=` names the bundle's model, `pretrained=` the base by its Hub id and
revision; an older command's path up into the cache becomes that name too, and a folder
audited from inside the adapter's (`peft=..`) is no prefix of its base's `../../…`."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gemeingut.i18n import text
from gemeingut.model.finetune_base_reference import CachedModel
from gemeingut.release.audit_command import published_command
from gemeingut.release.bundle import published_audit_report
from gemeingut.release.openness.audit_evidence import judged_audits
from gemeingut.release.openness.foreign import rate_folder
from gemeingut.release.reproduce_base import base_as_recorded, recorded_snapshot
from tests.model.tiny_models import make_model
from tests.test_cli import invoke

HUB_ID = "uni-example/winzling"
REVISION = "1" * 40
# What lm-eval's `hf` model does with these arguments: the base from the cache at the revision,
# the adapter from the folder, both as named from the folder the command runs in.
LOAD = """
import sys
from peft import PeftModel
from transformers import AutoModelForCausalLM
args = dict(pair.split("=", 1) for pair in sys.argv[1].split(","))
base = AutoModelForCausalLM.from_pretrained(args["pretrained"], revision=args["revision"])
PeftModel.from_pretrained(base, args["peft"])
print("loaded")
"""


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An adapter fine-tuned from a snapshot of a Hugging Face cache, audited (one item per
    task) and released under its base's Hub id."""
    root = tmp_path_factory.mktemp("adapter")
    cache = root / "hub"
    snapshot = cache / f"models--{HUB_ID.replace('/', '--')}" / "snapshots" / REVISION
    shutil.copytree(make_model(root / "source"), snapshot)
    data = root / "antworten.jsonl"
    lines = (
        json.dumps({"prompt": f"Frage {i}?", "completion": f" Antwort {i}."}) for i in range(20)
    )
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tuned = invoke(
        "model", "finetune", snapshot, "--data", data, "--out", root / "ft", "--steps", "2",
        "--eval-every", "2", "--data-license", "CC0-1.0", "--license", "MIT",
        "--base-license", "MIT",
    )  # fmt: skip
    assert tuned.exit_code == 0, tuned.output
    config = root / "audit.toml"
    config.write_text('[audit]\nsuites = ["tasks"]\n[audit.tasks]\nlimit = 1\n', "utf-8")
    audited = invoke("audit", "run", root / "ft", "--out", root / "audit", "--config", config)
    assert audited.exit_code == 0, audited.output
    done = invoke(
        "release", "--finetuned", root / "ft", "--name", "winzig-lora", "--out",
        root / "release", "--license", "MIT", "--audit", root / "audit", "--base-hub-id", HUB_ID,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    bundle = root / "release" / "bundle"
    return {
        "bundle": bundle, "cache": cache, "ft": root / "ft", "audit": root / "audit",
        "snapshot": snapshot,
    }  # fmt: skip


def model_args(command: str) -> str:
    words = shlex.split(command)
    return words[words.index("--model_args") + 1]


def test_the_published_command_loads_the_bundles_adapter_on_its_cached_base(
    released: dict[str, Path],
) -> None:
    audit = released["bundle"] / "audit"
    command = json.loads((audit / "report.json").read_text("utf-8"))["tasks"]["lm_eval"]["command"]
    args = model_args(command)
    assert args == f"pretrained={HUB_ID},revision={REVISION},peft=../model,dtype=float32"
    assert (audit / "../model/adapter_config.json").is_file()
    for language in ("de", "en"):  # the reports show the same command
        assert command in (audit / f"report.{language}.md").read_text(encoding="utf-8")
    lineage = json.loads((released["bundle"] / "training-metadata/lineage.json").read_text())
    assert lineage["audit"]["stats"]["tasks"]["lm_eval"]["command"] == command
    environment = os.environ | {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(released["cache"])}
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD, args], cwd=audit, env=environment, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert loaded.returncode == 0 and "loaded" in loaded.stdout, loaded.stderr[-3000:]


def report(local: str, args: str) -> dict:
    return {"model": {"path": local}, "tasks": {"lm_eval": {"command": f"lm_eval --model hf "
            f"--model_args {args} --tasks gg_lesen"}}}  # fmt: skip


def test_an_older_command_names_its_cached_base_by_hub_id_and_no_prefix_is_replaced() -> None:
    snapshot = f"../../hub/models--uni-example--winzling/snapshots/{REVISION}"
    older = report("..", f"pretrained={snapshot},peft=..,dtype=float32")
    published = published_audit_report(older)["tasks"]["lm_eval"]["command"]
    assert model_args(published) == (
        f"pretrained={HUB_ID},revision={REVISION},peft=../model,dtype=float32"
    )
    plain = report("..", "pretrained=../../basis,peft=..,dtype=float32")
    named = published_audit_report(plain, f"{HUB_ID},revision={REVISION}")
    assert model_args(named["tasks"]["lm_eval"]["command"]) == (
        f"pretrained={HUB_ID},revision={REVISION},peft=../model,dtype=float32"
    )
    whole = report("../ft", "pretrained=../ft,dtype=float32")  # whole weights: the model itself
    assert model_args(published_audit_report(whole)["tasks"]["lm_eval"]["command"]) == (
        "pretrained=../model,dtype=float32"
    )
    assert older["model"]["path"] == ".."  # the recorded report is left as it was


def test_an_audit_copied_into_the_fine_tunes_own_folder_counts_where_it_is_that_artifact(
    released: dict[str, Path], tmp_path: Path
) -> None:
    """The audit's lineage is the fine-tune's artifact id: it counts in the folder whose record
    gives that id and lists its files as they are, and is said why not once a file changed."""
    folder = shutil.copytree(released["ft"], tmp_path / "ft")
    shutil.copytree(released["audit"], folder / "audit")
    rows = {c["name"]: c for c in rate_folder(folder)["mof"]["components"]}
    results = rows["Evaluation results"]
    assert results["present"] and results["evidence"] == ["audit/report.json"], results
    assert rows["Evaluation data"]["present"]
    listing = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert judged_audits(folder, listing).not_counted == []
    config = folder / "adapter_config.json"
    config.write_text(config.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    judged = judged_audits(folder, listing)
    assert not judged.reports
    said = [text(why, "en") for why in judged.not_counted]
    assert said == [
        "audit/report.json: the audit of the artifact this folder's artifact.json names, but "
        "adapter_config.json is not the file listed there"
    ]
    other = shutil.copytree(released["audit"], tmp_path / "other" / "audit")
    record = json.loads((other.parent.parent / "ft" / "artifact.json").read_text("utf-8"))
    (other.parent / "artifact.json").write_text(json.dumps({**record, "id": "ft-0"}), "utf-8")
    judged = judged_audits(other.parent, ["audit/report.json"])
    said = [text(why, "en") for why in judged.not_counted]
    assert said == [
        f"audit/report.json: the audit of the artifact {record['id']}, but this folder is the "
        "artifact ft-0"
    ]


def test_a_plain_copy_of_the_cached_base_reproduces_the_fine_tune_equal(
    released: dict[str, Path], tmp_path: Path
) -> None:
    """The same files as base-model/files.json lists, in a folder outside the cache: the
    rebuilt adapter names no revision and the record the folder's name, names of the same
    weights (their fingerprint), so no difference."""
    plain = shutil.copytree(released["snapshot"], tmp_path / "basis")
    result = invoke(
        "reproduce", released["bundle"].parent, "--workspace", tmp_path / "again", "--base",
        plain, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {row["role"]: row for row in json.loads(result.stdout)["artifacts"]}
    assert set(rows) == {"finetune", "audit", "release"}
    assert all(row["equal"] for row in rows.values()), rows


def test_the_rebuild_gets_the_same_files_as_the_recorded_revision(
    released: dict[str, Path], tmp_path: Path
) -> None:
    """The recorded snapshot itself is given as it is; the same files elsewhere (a plain
    folder, another revision's snapshot) as the revision the fine-tune names, linked."""
    bundle, snapshot = released["bundle"], released["snapshot"]
    assert recorded_snapshot(bundle) == CachedModel(HUB_ID, REVISION)
    assert base_as_recorded(bundle, snapshot, tmp_path / "a") == snapshot
    elsewhere = tmp_path / "cache" / snapshot.relative_to(released["cache"])
    other = shutil.copytree(snapshot, elsewhere.parent / ("2" * 40))
    given = base_as_recorded(bundle, other, tmp_path / "b")
    assert given == tmp_path / "b" / "hub" / snapshot.relative_to(released["cache"])
    assert sorted(p.name for p in given.iterdir()) == sorted(p.name for p in other.iterdir())


def test_a_command_without_the_audited_folder_is_kept_byte_for_byte() -> None:
    command = "lm_eval --model local-completions --model_args 'base_url=http://x/v1,model=m'"
    assert published_command(command, "../ft", "../model", None) == command
    assert published_command("lm_eval --tasks x", "../ft", "../model", None) == "lm_eval --tasks x"
