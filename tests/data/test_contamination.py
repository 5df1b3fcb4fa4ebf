import random
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from gemeingut.data.curate import curate
from gemeingut.data.documents import Document
from gemeingut.data.fingerprints import Fingerprints
from gemeingut.data.splits import assign_split
from gemeingut.recipe import DataSection, SourceSpec
from tests.corpus import open_documents, sentences, write_jsonl


def id_in(split: str, prefix: str) -> str:
    return next(
        f"{prefix}-{i}"
        for i in range(10_000)
        if assign_split(f"{prefix}-{i}", 0, 0.1, 0.1) == split
    )


def corpus(tmp_path: Path) -> Path:
    rng = random.Random(11)
    shared = sentences(rng, 40)
    docs = open_documents(30, seed=3)
    docs.append({"id": id_in("train", "law"), "text": shared, "license": "CC0-1.0"})
    # A test document that quotes most of a training document (plus a new ending).
    docs.append(
        {
            "id": id_in("test", "leak"),
            "text": shared[: int(len(shared) * 0.8)] + " Neuer Schluss des Dokuments hier.",
            "license": "CC0-1.0",
        }
    )
    return write_jsonl(tmp_path / "d.jsonl", docs)


def run(tmp_path: Path, **params) -> tuple[dict, dict[str, str]]:
    out = tmp_path / "out"
    out.mkdir()
    # Near-dedup off: the leak must reach the contamination check rather than be a near copy.
    section = DataSection(
        sources=[SourceSpec(name="s", path=corpus(tmp_path))], near_dedup=False, **params
    )
    stats = curate(section, out)
    reasons = {r["id"]: r["detail"] for r in pq.read_table(out / "exclusions.parquet").to_pylist()}
    return stats, reasons


def test_test_document_overlapping_train_is_removed_and_reported(tmp_path: Path) -> None:
    stats, details = run(tmp_path)
    leak = id_in("test", "leak")
    assert stats["excluded_by_reason"] == {"test-contamination": 1}
    assert "occur in train" in details[leak]
    report = stats["blocks"]["contamination"]
    assert report["test_documents_removed"] == 1
    assert report["test_documents_checked"] == stats["splits"]["test"]["documents"] + 1
    assert stats["documents_in"] == stats["kept"] + stats["excluded"]


def test_overlap_is_only_reported_when_removal_is_off(tmp_path: Path) -> None:
    stats, _ = run(tmp_path, remove_contaminated_test=False)
    assert stats["excluded"] == 0
    histogram = stats["blocks"]["contamination"]["overlap_histogram"]
    assert sum(n for bucket, n in histogram.items() if bucket != "0%") >= 1


def ngram_hashes(text: str, n: int) -> np.ndarray:
    """The n-gram hashes that the `Fingerprints` block attaches for the contamination check."""
    doc = Document("d", text, "s", None, None, None, "here")
    [doc] = Fingerprints(ngram=n).run(iter([doc]), lambda exclusion: None)
    return np.frombuffer(doc.ngrams, dtype=np.uint32)


def test_short_texts_have_no_ngrams() -> None:
    assert len(ngram_hashes("zu kurz für dreizehn Wörter", 13)) == 0
    assert len(ngram_hashes(" ".join(["wort"] * 20), 13)) == 1
    assert len(ngram_hashes(" ".join(f"wort{i}" for i in range(20)), 13)) == 8
