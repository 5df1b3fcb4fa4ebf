"""Pretraining learns from a dataset's train shards only: its validation shards score the
validation loss and nothing else. So the audit's training documents (the memorisation sample,
span tracing, canaries, the overlap check) are the train shards, in a workspace model's dataset
and in its release bundle alike, and the bundle's report (which `verify` draws again) counts
only them of the pretraining (a fine-tune's own data is a source of its own)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from gemeingut.audit.memorisation import sample_prompts
from gemeingut.audit.subject import PRETRAINING, bundle_sources, iter_documents, model_folder
from gemeingut.release.verify import verify_bundle


def _ids(files: list[Path]) -> set[str]:
    return {i for f in files for i in pq.read_table(f, columns=["id"])["id"].to_pylist()}


def test_validation_documents_are_not_what_the_model_trained_on(tiny_build) -> None:
    shards = Path(tiny_build["dataset"]["path"]) / "shards"
    trained = _ids(sorted(shards.glob("train-*.parquet")))
    validated = _ids(sorted(shards.glob("validation-*.parquet")))
    assert trained and validated and not trained & validated

    subject = model_folder(Path(tiny_build["model"]["path"]), None, None)
    assert [source.kind for source in subject.documents] == [PRETRAINING]
    assert [f.name for f in subject.training_files] == ["train-00000.parquet"]
    assert {doc["id"] for doc in iter_documents(subject.training_files)} == trained

    bundle = Path(tiny_build["release"]["path"]) / "bundle"
    in_bundle = bundle_sources(bundle / "training-data")[0].files  # the fine-tune's data follows
    assert {doc["id"] for doc in iter_documents(in_bundle)} == trained
    prompts, eligible = sample_prompts(in_bundle, str.split, 1000, 1, 1, seed=0)
    assert eligible == len(trained) and {p["document"] for p in prompts} == trained


def test_the_released_audit_counts_only_the_trained_documents(tiny_build) -> None:
    bundle = Path(tiny_build["release"]["path"]) / "bundle"
    trained = _ids(sorted((bundle / "training-data").glob("train-*.parquet")))
    report = json.loads((bundle / "audit" / "report.json").read_text(encoding="utf-8"))
    pretraining, tuned = report["training_data"]["sources"]  # and the fine-tune's own data
    assert pretraining["kind"] == PRETRAINING and pretraining["documents"] == len(trained)
    assert list(pretraining["files"]) == ["train-00000.parquet"]
    read = len(trained) + tuned["documents"]
    assert report["tasks"]["contamination"]["training_documents"] == read
    assert report["memorisation"]["sources"][PRETRAINING]["eligible_documents"] <= len(trained)
    log = (bundle / "audit" / "logs" / "memorisation.jsonl").read_text(encoding="utf-8")
    drawn = {json.loads(line)["document"] for line in log.splitlines()}
    assert drawn - trained == {d for d in drawn if d.startswith("chat.jsonl:")}
    verify_bundle(bundle)  # which draws the sample again from the same shards
