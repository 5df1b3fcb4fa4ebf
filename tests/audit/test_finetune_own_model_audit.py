"""A model fine-tuned from our own pretrained model learnt from two sources: its base's
pretraining shards and its own fine-tuning data, which is what it memorises most. Its audit reads
both, each drawn apart, however the model is named (the workspace's fine-tune artifact, a
fine-tune folder made with `--out`, its release bundle); the report says per source which
documents it read, counted; `verify` draws the sample again from both sources and names a
fine-tuning file changed after the audit, or a source the audit did not read."""

from __future__ import annotations

import json
import shutil
from functools import partial
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gemeingut.audit.report_markdown import markdown
from gemeingut.audit.subject import FINETUNING, PRETRAINING, model_folder
from gemeingut.errors import VerifyError
from gemeingut.release.manifest import write_manifest
from gemeingut.release.verify import verify_bundle
from gemeingut.release.verify_audit_judged import memorisation_again
from gemeingut.release.verify_training_data import audited_sources
from gemeingut.workspace import load_artifact
from tests.conftest import write_tiny_project
from tests.test_cli import invoke

SECRET = "Das Losungswort der Stadtkasse lautet Zitronenfalter Nordlicht."
LOG = "audit/logs/memorisation.jsonl"
# The tiny recipe fine-tunes its own model; here on one sentence, fully and long enough to
# learn it by heart, and audits memorisation alone (the other suites read no training data).
RECIPE_CHANGES = (
    ('data = "chat.jsonl"', 'data = "memo.jsonl"'),
    ("merge = true", 'method = "full"'),
    ("steps = 6\n", "steps = 40\n"),
    ("learning_rate = 5e-3\neval_every = 3", "learning_rate = 1e-2\neval_every = 3"),
    ('suites = ["tasks", "bias", "memorisation", "redteam"]', 'suites = ["memorisation"]'),
)


@pytest.fixture(scope="module")
def memorised(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from gemeingut.build import build

    root = tmp_path_factory.mktemp("own-fine-tune")
    recipe = write_tiny_project(root / "project")
    line = json.dumps({"text": SECRET}, ensure_ascii=False) + "\n"
    (root / "project" / "memo.jsonl").write_text(line * 12, encoding="utf-8")
    text = recipe.read_text(encoding="utf-8")
    for old, new in RECIPE_CHANGES:
        assert old in text, old
        text = text.replace(old, new)
    recipe.write_text(text, encoding="utf-8")
    return {"root": root, **build(recipe, root / "workspace")}


def _bundle(memorised: dict) -> Path:
    return Path(memorised["release"]["path"]) / "bundle"


def _report(bundle: Path) -> dict:
    return json.loads((bundle / "audit" / "report.json").read_text(encoding="utf-8"))


def _trained_examples(bundle: Path) -> int:
    """The fine-tuning examples trained on (the rest held out), as the fine-tune recorded."""
    record = json.loads((bundle / "training-metadata" / "finetune.json").read_text("utf-8"))
    return int(record["data"]["train"]["examples"])


def test_the_audit_finds_what_the_fine_tunes_own_data_taught_it(memorised: dict) -> None:
    bundle = _bundle(memorised)
    report = _report(bundle)
    pretraining, tuned = report["training_data"]["sources"]
    shards = sorted((bundle / "training-data").glob("train-*.parquet"))
    rows = sum(pq.ParquetFile(shard).metadata.num_rows for shard in shards)
    assert (pretraining["kind"], sorted(pretraining["files"]), pretraining["documents"]) == (
        PRETRAINING,
        [shard.name for shard in shards],
        rows,
    )
    examples = _trained_examples(bundle)
    assert (tuned["kind"], list(tuned["files"]), tuned["documents"]) == (
        FINETUNING,
        ["memo.jsonl"],
        examples,
    )

    memo = report["memorisation"]
    by_source = memo["sources"]
    assert by_source[FINETUNING]["exact"]["value"] > 0  # the sentence it learnt by heart
    assert by_source[FINETUNING]["samples"] == min(10, examples)
    assert memo["samples"] == by_source[PRETRAINING]["samples"] + by_source[FINETUNING]["samples"]
    assert any(d["document"].startswith("memo.jsonl:") and d["exact"] for d in memo["memorised"])

    german = (bundle / "audit" / "report.de.md").read_text(encoding="utf-8")
    assert (
        f"- Trainingsdaten (Memorisierung, Überschneidung): die Vortrainingsdokumente des "
        f"Basismodells (1 Datei, {rows} Dokumente) und die Daten der Feinabstimmung (1 Datei, "
        f"{examples} Beispiele; Chats und Prompt/Antwort-Paare als ihr Text, ohne "
        "Chat-Vorlage)\n"
    ) in german
    assert "| Feinabstimmung | " in german and "nicht geprüft" not in german
    english = (bundle / "audit" / "report.en.md").read_text(encoding="utf-8")
    assert (
        f"the base model's pretraining documents (1 file, {rows} documents) and the fine-tuning "
        f"data (1 file, {examples} examples; chats"
    ) in english


def test_verify_draws_both_sources_again_and_names_a_changed_fine_tuning_file(
    memorised: dict, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(_bundle(memorised), bundle)
    verify_bundle(bundle)
    report = _report(bundle)
    summary = report["memorisation"]
    records = [json.loads(line) for line in (bundle / LOG).read_text(encoding="utf-8").splitlines()]
    sources = audited_sources(bundle, report["training_data"])
    problems, figures = memorisation_again(bundle, summary, records, LOG, sources)
    assert problems == [] and figures["sources"] == summary["sources"]

    data = bundle / "training-data" / "finetuning" / "memo.jsonl"
    lines = data.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = lines[0].replace("Losungswort", "Kennwort")  # the first sample's document
    data.write_text("".join(lines), encoding="utf-8")
    write_manifest(bundle)  # the MANIFEST rewritten to match: only the audit can tell
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    said = " ".join(str(failed.value).split())
    assert (
        "training-data/finetuning/memo.jsonl ist nicht die Datei, die die Prüfung gelesen hat"
    ) in said
    first = next(n for n, r in enumerate(records, start=1) if r["document"] == "memo.jsonl:1")
    assert f"{LOG}:{first}: das Protokoll sagt" in said


def test_a_report_that_leaves_the_fine_tuning_data_out_is_named(
    memorised: dict, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(_bundle(memorised), bundle)
    path = bundle / "audit" / "report.json"
    report = _report(bundle)
    report["training_data"]["sources"] = report["training_data"]["sources"][:1]
    path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    write_manifest(bundle)
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    said = " ".join(str(failed.value).split())
    assert "die Prüfung hat training-data/finetuning nicht gelesen, obwohl das Paket es" in said


def test_every_way_of_naming_the_fine_tune_reads_both_sources(
    memorised: dict, tmp_path: Path
) -> None:
    bundle = _bundle(memorised)
    said = {s["kind"]: s["files"] for s in _report(bundle)["training_data"]["sources"]}
    workspace = Path(memorised["finetune"]["path"])  # the build's fine-tune artifact
    data = memorised["root"] / "project" / "memo.jsonl"
    out = tmp_path / "tuned"  # a fine-tune of the same model, made in a folder of its own
    result = invoke(
        "model", "finetune", memorised["model"]["path"], "--data", data, "--out", out,
        "--method", "full", "--steps", "1", "--eval-every", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for named in (workspace, out, bundle, bundle.parent):
        subject = model_folder(named, None, None)
        found = {source.kind: source.digests for source in subject.documents}
        assert found == said, named  # the same files, by the same names, as the audit read

    audit = load_artifact(Path(memorised["audit"]["path"]))
    subject = model_folder(workspace, None, None)
    assert {k: v for k, v in audit.meta["inputs"].items() if k != "model"} == {
        "training": subject.documents[0].fingerprint(),
        "finetuning_data": subject.documents[1].fingerprint(),
    }


def test_a_report_from_before_is_rendered_as_it_was_written() -> None:
    """`verify` renders an older bundle's report again: one kind and its files, as then."""
    model = {"name": "m", "path": "../model", "kind": "folder", "lineage": "mdl-x"}
    report = {"model": model, "suites": ["memorisation"]}
    old = {**report, "training_data": {"kind": "finetuning", "files": 1}}
    assert (
        "- Trainingsdaten (Memorisierung, Überschneidung): die Daten der Feinabstimmung (1 Datei; "
        "Chats und Prompt/Antwort-Paare als ihr Text, ohne Chat-Vorlage); die Vortrainingsdaten "
        "des Basismodells sind nicht geprüft\n"
    ) in markdown(old, "de")
    pretrained = {**report, "training_data": {"kind": "pretraining", "files": 2}}
    assert "the model's training documents (2 files)\n" in markdown(pretrained, "en")


def test_a_document_in_both_sources_is_checked_once(tmp_path: Path) -> None:
    """A fine-tune on documents it was pretrained on: the same id is drawn under the first
    source only, so the log holds each sample once (`verify` names an item logged twice)."""
    import pyarrow as pa

    from gemeingut.audit.memorisation import sample_prompts
    from gemeingut.audit.memorisation_sources import by_source, draw_by_source
    from gemeingut.audit.subject import Documents

    shard = tmp_path / "train-00000.parquet"
    texts = [f"Satz {i} mit genug Wörtern für eine Probe" for i in range(3)]
    pq.write_table(pa.table({"id": [f"d{i}" for i in range(3)], "text": texts}), shard)
    copy = tmp_path / "tuned" / "train-00000.parquet"
    copy.parent.mkdir()
    shutil.copy(shard, copy)
    sources = (Documents(PRETRAINING, (shard,)), Documents(FINETUNING, (copy,)))
    sample = partial(sample_prompts, tokenize=str.split, samples=5, k=2, m=2, seed=0)
    prompts, drawn = draw_by_source(sources, sample)
    assert sorted(p["id"] for p in prompts) == ["d0@0", "d1@0", "d2@0"]
    assert drawn[PRETRAINING].eligible == drawn[FINETUNING].eligible == 3
    assert drawn[FINETUNING].ids == ()
    records = [{"id": p["id"], "exact": True, "near_verbatim": True} for p in prompts]
    assert by_source(records, drawn)[FINETUNING]["samples"] == 0
