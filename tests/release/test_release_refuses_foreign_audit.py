"""`release --audit` refuses an audit that did not read the training documents the bundle will
publish, before anything is written: one of documents given with --training-data, or one that
did not find the pretraining shards. It compares as `verify` does (`read_problems`), so an audit
it releases is one `verify` accepts. The audit artifact's stats, which a bundle's lineage
carries, keep each source in brief: not every shard's sha256."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.errors import VerifyError
from gemeingut.release.manifest import write_manifest
from gemeingut.release.verify import verify_bundle
from gemeingut.workspace import load_artifact
from tests.test_cli import invoke


def _release(tiny_build: dict, audit: Path, out: Path):
    paths = {k: tiny_build[k]["path"] for k in ("dataset", "tokenizer", "model", "evaluation")}
    return invoke(
        "release", "--dataset", paths["dataset"], "--tokenizer", paths["tokenizer"],
        "--model", paths["model"], "--evaluation", paths["evaluation"],
        "--finetuned", tiny_build["finetune"]["path"], "--audit", audit,
        "--name", "x", "--out", out,
    )  # fmt: skip


def _other_file(tmp_path: Path, tiny_build: dict) -> Path:
    documents = tmp_path / "dokumente.jsonl"  # documents of the auditor's own
    documents.write_text(json.dumps({"text": "Antwort 1. Antwort 2."}) + "\n", encoding="utf-8")
    return documents


def _fine_tuning_data_only(tmp_path: Path, tiny_build: dict) -> Path:
    """A copy of the bundle's training data without its pretraining shards."""
    bundle = Path(tiny_build["release"]["path"]) / "bundle"
    shutil.copytree(bundle / "training-data" / "finetuning", tmp_path / "td" / "finetuning")
    return tmp_path / "td"


@pytest.mark.parametrize(
    ("training_data", "read", "named"),
    [
        (
            _other_file,
            "sie las mit --training-data angegebene Dateien (1 Datei)",
            "audit/report.json sagt, die Prüfung habe 1 Datei aus --training-data gelesen",
        ),
        (
            _fine_tuning_data_only,
            "sie las training-data/finetuning (1 Datei)",
            "die Prüfung hat training-data/train-*.parquet nicht gelesen",
        ),
    ],
)
def test_an_audit_of_other_training_documents_is_refused_before_the_release_is_built(
    tiny_build: dict, tmp_path: Path, training_data, read: str, named: str
) -> None:
    tuned = tiny_build["finetune"]["path"]
    audited = invoke(
        "audit", "memorisation", tuned, "--training-data", training_data(tmp_path, tiny_build),
        "--samples", "1", "--out", tmp_path / "audit",
    )  # fmt: skip
    assert audited.exit_code == 0, audited.output
    result = _release(tiny_build, tmp_path / "audit", tmp_path / "r")
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    said = " ".join(result.stderr.split())
    assert f"die Prüfung {tmp_path / 'audit'} las andere Trainingsdokumente" in said
    assert read in said
    assert (
        "das Paket veröffentlicht training-data/train-*.parquet (1 Datei); "
        "training-data/finetuning (1 Datei)"
    ) in said
    assert named in said
    assert f"gemeingut audit run {tuned} --out AUDIT" in said and "ohne --training-data" in said
    assert not (tmp_path / "r").exists()  # nothing written


def test_an_audit_of_the_released_models_own_training_data_still_releases(
    tiny_build: dict, tmp_path: Path
) -> None:
    result = _release(tiny_build, Path(tiny_build["audit"]["path"]), tmp_path / "r")
    assert result.exit_code == 0, result.output
    verify_bundle(tmp_path / "r" / "bundle")


def test_verify_names_an_audit_of_documents_given_with_training_data(bundle: Path) -> None:
    """The same comparison at `verify`: such an audit is no longer passed over."""
    path = bundle / "audit" / "report.json"
    report = json.loads(path.read_text(encoding="utf-8"))
    files = {"dokumente.jsonl": "sha256:" + "0" * 64}
    report["training_data"] = {"sources": [{"kind": "given", "files": files, "documents": 1}]}
    path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    write_manifest(bundle)
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    said = " ".join(str(failed.value).split())
    assert "audit/report.json sagt, die Prüfung habe 1 Datei aus --training-data gelesen" in said
    assert "die Prüfung hat training-data/train-*.parquet nicht gelesen" in said


def test_the_audit_artifact_keeps_each_source_of_training_documents_in_brief(
    tiny_build: dict,
) -> None:
    audit = load_artifact(Path(tiny_build["audit"]["path"]))
    report = json.loads((audit.path / "report.json").read_text(encoding="utf-8"))
    read = report["training_data"]["sources"]  # the pretraining shards and the fine-tune's data
    kept = audit.stats["training_data"]["sources"]
    assert [(s["kind"], s["files"], s["documents"]) for s in kept] == [
        (s["kind"], len(s["files"]), s["documents"]) for s in read
    ]
    inputs = audit.meta["inputs"]  # one digest over a source's files, as the audit's id has it
    assert [s["sha256"] for s in kept] == [inputs["training"], inputs["finetuning_data"]]
