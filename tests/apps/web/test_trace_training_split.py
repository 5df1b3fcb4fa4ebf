"""What the look inside says the model learnt from is its training split, counted as the
release's AI Act summary counts it (`training_corpus`: the same shards, the same tokenizer,
each document followed by EOS); the validation split, never trained on, is neither counted nor
traced."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq

from gemeingut.audit.subject import training_files
from gemeingut.release.openness.corpus_size import training_corpus
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.trace_route import build_trace_index
from tests.http_server import running_server

TRAIN = [
    "Die Rechtsfähigkeit des Menschen beginnt mit der Vollendung der Geburt.",
    "Die Bibliothek teilt offene Daten mit allen Schulen der Stadt.",
    "Ein Antrag ist schriftlich bei der Behörde einzureichen.",
]
VALIDATION = ["Der Weltraumbahnhof liegt hinter dem Rathaus am Fluss.", "Noch ein Satz."]


def _shard(path: Path, texts: list[str]) -> None:
    rows = {
        "id": [f"{path.stem}-{n}" for n in range(len(texts))],
        "text": texts,
        "license": ["CC0-1.0"] * len(texts),
        "source": ["test"] * len(texts),
    }
    pq.write_table(pa.table(rows), path)


def test_the_trace_counts_what_the_model_was_trained_on(model_dir: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(model_dir, bundle / "model")
    data = bundle / "training-data"
    data.mkdir()
    _shard(data / "train-00000.parquet", TRAIN)
    _shard(data / "validation-00000.parquet", VALIDATION)
    backend = TransformersBackend(bundle / "model", model_name="winzig")
    index = build_trace_index(training_files(data), backend)
    with running_server(create_app(backend, trace=index)) as url:
        info = httpx.get(f"{url}/v1/trace", timeout=30).json()
        held_out = httpx.post(f"{url}/v1/trace", json={"text": VALIDATION[0]}, timeout=30).json()
        trained = httpx.post(f"{url}/v1/trace", json={"text": TRAIN[1]}, timeout=30).json()
    summary = training_corpus(bundle)
    assert summary is not None and summary.documents == len(TRAIN)
    assert (info["documents"], info["tokens"]) == (summary.documents, summary.tokens)
    assert held_out["spans"] == [] and held_out["reason"] == "not_found"
    assert trained["spans"][0]["documents"][0]["id"] == "train-00000-1"
