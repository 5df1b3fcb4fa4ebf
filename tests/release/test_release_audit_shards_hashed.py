"""`release --audit` checks that the audit read the shards the bundle publishes. The dataset
recorded each shard's sha256 when it was made, and the bundle's MANIFEST hashes the copies: the
check takes those digests instead of reading every shard once more (hundreds of shards for a
real dataset); a shard changed after it was recorded is still refused, by the copies' digests.
The release's artifact.json lists the MANIFEST's digests: each published file is hashed once."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gemeingut import hashing, workspace
from gemeingut.audit import subject
from gemeingut.release import manifest, verify_training_data
from gemeingut.release.layout import BUNDLE_DIR
from gemeingut.release.manifest import MANIFEST, read_manifest
from gemeingut.workspace import ARTIFACT_FILE, source_version
from tests.test_cli import invoke

CHANGED = "eine Datei wurde geändert, nachdem ihr Artefakt sie verzeichnet hat"


def _release(tiny_build: dict, out: Path, dataset: Path | None = None, audit: bool = True):
    path = {
        kind: tiny_build[kind]["path"] for kind in tiny_build if isinstance(tiny_build[kind], dict)
    }
    return invoke(
        "release", "--name", "m", "--out", out, "--dataset", dataset or path["dataset"],
        "--tokenizer", path["tokenizer"], "--model", path["model"],
        "--evaluation", path["evaluation"], "--finetuned", path["finetune"],
        *(["--audit", path["audit"]] if audit else []),
    )  # fmt: skip


def _counted(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Each path gemeingut hashes, by how often."""
    reads: Counter[str] = Counter()
    original = hashing.sha256_file

    def counted(path: Path) -> str:
        reads[str(path)] += 1
        return original(path)

    for module in (hashing, subject, manifest, verify_training_data, workspace):
        monkeypatch.setattr(module, "sha256_file", counted)
    return reads


def _changed_copy(tiny_build: dict, root: Path) -> tuple[Path, Path]:
    """A copy of the dataset, and the first train shard of it."""
    dataset = root / "dataset" / Path(tiny_build["dataset"]["path"]).name
    shutil.copytree(tiny_build["dataset"]["path"], dataset)
    return dataset, sorted(dataset.glob("shards/train-*.parquet"))[0]


def test_the_release_reads_no_shard_of_the_dataset_to_check_the_audit(
    tiny_build: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = Path(tiny_build["dataset"]["path"])
    reads = _counted(monkeypatch)
    result = _release(tiny_build, tmp_path / "release")
    assert result.exit_code == 0, result.output

    shards = sorted(dataset.glob("shards/train-*.parquet"))
    assert shards
    assert [reads[str(shard)] for shard in shards] == [0] * len(shards)
    copied = Counter(Path(p).name for p in reads if "/bundle/training-data/" in p)
    assert all(copied[shard.name] for shard in shards), "the MANIFEST hashes the copies"


def test_the_release_hashes_each_file_it_publishes_once(
    tiny_build: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The MANIFEST hashes every file of the new bundle (the weights, every shard), and the
    release's artifact.json lists those digests instead of reading each file a second time;
    they are the digests of exactly the files published."""
    # The documents (SPDX, ML-BOM, AI Act) and the MANIFEST share one digest per file where
    # the file has settled (a big one has, while it was hashed); the tiny files have at once.
    monkeypatch.setattr(manifest, "SETTLED_NS", 0)
    reads = _counted(monkeypatch)
    out = tmp_path / "release"
    result = _release(tiny_build, out)
    assert result.exit_code == 0, result.output

    bundle = out / BUNDLE_DIR
    published: Counter[str] = Counter()
    for path, count in reads.items():
        if f"/{BUNDLE_DIR}/" in path:  # in the release's .partial folder while it was built
            published[path.split(f"/{BUNDLE_DIR}/", 1)[1]] += count
    listed = read_manifest(bundle)
    assert len(listed) > 20 and "model/model.safetensors" in listed
    assert set(published) == {*listed, MANIFEST}
    assert max(published.values()) == 1, published.most_common(3)
    monkeypatch.undo()  # hashed afresh below, each file read as it is now
    recorded = json.loads((out / ARTIFACT_FILE).read_text(encoding="utf-8"))["files"]
    assert recorded == hashing.files_with_hashes(out, exclude=frozenset({ARTIFACT_FILE}))


def test_the_code_version_reads_no_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every artifact's id names the code's version, a hash of its source: Python's bytecode
    beside it (a third of the package's bytes) is no source and is not read."""
    package = tmp_path / "gemeingut"
    (package / "__pycache__").mkdir(parents=True)
    (package / "a.py").write_text("x = 1\n", encoding="utf-8")
    bytecode = package / "__pycache__" / "a.cpython-311.pyc"
    bytecode.write_bytes(b"\0" * 64)
    reads = _counted(monkeypatch)
    version = source_version(package, "1")
    assert [Path(path).name for path in reads] == ["a.py"]
    bytecode.write_bytes(b"\1" * 64)
    assert source_version(package, "1") == version


def test_a_shard_changed_after_the_dataset_recorded_it_is_refused(
    tiny_build: dict, tmp_path: Path
) -> None:
    """The dataset's record still names the shard the audit read; the copy in the bundle is
    another: refused once the MANIFEST has hashed it, and nothing is left behind."""
    dataset, shard = _changed_copy(tiny_build, tmp_path)
    table = pq.read_table(shard)
    texts = table["text"].to_pylist()
    texts[0] = texts[0].replace("e", "a", 1)  # as many characters: the card's counts hold
    table = table.set_column(table.schema.get_field_index("text"), "text", [texts])
    pq.write_table(table, shard)

    out = tmp_path / "release"
    result = _release(tiny_build, out, dataset)
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert f"{CHANGED}, und das Release würde sie unter dessen Kennung veröffentlichen" in said
    assert str(shard) in said
    assert not (out / ARTIFACT_FILE).exists() and "Traceback" not in result.output


@pytest.mark.parametrize("audit", [False, True])
def test_a_shard_with_other_counts_than_its_dataset_recorded_is_refused_in_words(
    tiny_build: dict, tmp_path: Path, audit: bool
) -> None:
    """A shard that lost a document after curation: the card, written from the dataset's
    records, would say other counts than the shards hold. That is the user's data, not a bug
    of the bundle: the shard is named and what to do said, and nothing is left behind. With
    an audit, its check of the documents it read refuses first."""
    dataset, shard = _changed_copy(tiny_build, tmp_path)
    pq.write_table(pq.read_table(shard).slice(1), shard)

    out = tmp_path / "release"
    result = _release(tiny_build, out, dataset, audit=audit)
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    if audit:  # the audit's check counts the documents before the build: one fewer
        assert "dort liegen aber" in said
    else:
        assert CHANGED in said and str(shard) in said
        assert "stellen Sie jede Datei wieder her" in said and "gemeingut build" in said
    assert "Traceback" not in result.output and "fails its own checks" not in said
    assert not out.exists() or not any(out.iterdir())
    assert not list(tmp_path.glob(".release.*.partial"))
