import gzip
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gemeingut.data.curate import curate
from gemeingut.data.shards import iter_split
from gemeingut.data.splits import SPLITS, assign_split
from gemeingut.errors import InputError
from gemeingut.recipe import DataSection, SourceSpec
from gemeingut.stages import curate_stage
from gemeingut.workspace import at
from tests.corpus import WITHOUT_QUALITY_FILTERS, open_documents, write_jsonl


def run(tmp_path: Path, *sources: SourceSpec, **params) -> dict:
    out = tmp_path / "out"
    out.mkdir()
    params.setdefault("filters", WITHOUT_QUALITY_FILTERS)
    return curate(DataSection(sources=list(sources), **params), out)


def kept_rows(out: Path) -> list[dict]:
    columns = ("id", "text", "source", "license", "url", "attribution")
    return [row for split in SPLITS for row in iter_split(out, split, columns)]


def exclusions(out: Path) -> list[dict]:
    return pq.read_table(out / "exclusions.parquet").to_pylist()


def test_every_document_in_is_kept_or_excluded_with_reason(tmp_path: Path) -> None:
    docs = open_documents(20)
    docs += [
        {"id": "nc", "text": "x" * 50, "license": "CC-BY-NC-4.0"},
        {"id": "nd", "text": "y" * 50, "license": "CC-BY-ND-4.0"},
        {"id": "prop", "text": "z" * 50, "license": "LicenseRef-Proprietary"},
        {"id": "none", "text": "w" * 50},
        {"id": "broken", "text": "v" * 50, "license": "CC0-1.0 AND ("},
        {"id": "empty", "text": "   ", "license": "CC0-1.0"},
        {"id": "dup", "text": "  " + docs[3]["text"].upper() + "\n", "license": "CC0-1.0"},
    ]
    path = write_jsonl(tmp_path / "docs.jsonl", docs)
    with path.open("a") as handle:
        handle.write("{not json\n")
        handle.write('{"id": "notext"}\n')
    stats = run(tmp_path, SourceSpec(name="s", path=path))
    assert stats["documents_in"] == 29
    assert stats["documents_in"] == stats["kept"] + stats["excluded"]
    assert stats["kept"] == 20
    assert stats["excluded_by_reason"] == {
        "invalid-record": 2,
        "licence-non-commercial": 1,
        "licence-no-derivatives": 1,
        "licence-proprietary": 1,
        "licence-missing": 1,
        "licence-unparseable": 1,
        "empty": 1,
        "duplicate": 1,
    }
    by_id = {e["id"]: e for e in exclusions(tmp_path / "out")}
    assert by_id["s/28"]["location"].endswith("docs.jsonl:28")
    assert by_id["dup"]["detail"] == "same text as doc-003"
    assert all("text" not in e for e in by_id.values())
    assert sum(stats["kept_by_license"].values()) == stats["kept"]
    assert sum(stats["excluded_by_license"].values()) == stats["excluded"]


def test_attribution_licence_without_attribution_is_refused(tmp_path: Path) -> None:
    docs = [
        {"id": "ok", "text": "a" * 40, "license": "CC-BY-4.0", "attribution": "A", "url": "u"},
        {"id": "no-attr", "text": "b" * 40, "license": "CC-BY-4.0", "url": "u"},
    ]
    stats = run(tmp_path, SourceSpec(name="s", path=write_jsonl(tmp_path / "d.jsonl", docs)))
    assert stats["kept"] == 1
    assert stats["excluded_by_reason"] == {"licence-attribution-missing": 1}


def test_source_licence_fills_in_but_document_licence_wins(tmp_path: Path) -> None:
    docs = [
        {"id": "inherits", "text": "a" * 40},
        {"id": "own", "text": "b" * 40, "license": "CC-BY-NC-4.0"},
        {"id": "explicitly-empty", "text": "c" * 40, "license": ""},
    ]
    source = SourceSpec(name="s", path=write_jsonl(tmp_path / "d.jsonl", docs), license="CC0-1.0")
    stats = run(tmp_path, source)
    assert stats["kept_by_license"] == {"CC0-1.0": 1}
    assert stats["excluded_by_reason"] == {"licence-non-commercial": 1, "licence-missing": 1}


def test_parquet_folder_and_gzipped_jsonl_sources_are_read(tmp_path: Path) -> None:
    table = pa.table({"text": ["Parquet eins " * 5, None], "license": ["CC0-1.0", "CC0-1.0"]})
    pq.write_table(table, tmp_path / "p.parquet")
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.md").write_text("Markdown Text " * 5, "utf-8")
    (folder / "b.txt").write_text("Plain text " * 5, "utf-8")
    (folder / "bad.txt").write_bytes(b"\xff\xfe kaputt")
    (folder / "ignored.bin").write_bytes(b"binary")
    with gzip.open(tmp_path / "g.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"text": "Gzip Text " * 5, "license": "CC0-1.0"}) + "\n")
    stats = run(
        tmp_path,
        SourceSpec(name="pq", path=tmp_path / "p.parquet"),
        SourceSpec(name="dir", path=folder, license="CC0-1.0"),
        SourceSpec(name="gz", path=tmp_path / "g.jsonl.gz"),
    )
    assert stats["kept_by_source"] == {"dir": 2, "pq": 1, "gz": 1}
    assert stats["excluded_by_reason"] == {"invalid-record": 2}
    ids = {row["id"] for row in kept_rows(tmp_path / "out")}
    assert {"dir/sub/a.md", "dir/b.txt", "pq/1", "gz/1"} == ids


def test_duplicates_across_sources_keep_the_first(tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "text": "Gleicher Text hier."}])
    second = write_jsonl(tmp_path / "b.jsonl", [{"id": "b", "text": "gleicher   text hier."}])
    stats = run(
        tmp_path,
        SourceSpec(name="a", path=first, license="CC0-1.0"),
        SourceSpec(name="b", path=second, license="CC0-1.0"),
    )
    assert stats["kept"] == 1 and stats["excluded_by_reason"] == {"duplicate": 1}


def test_split_depends_only_on_id_and_seed() -> None:
    splits = [assign_split(f"doc-{i}", 0, 0.1, 0.1) for i in range(2000)]
    assert splits == [assign_split(f"doc-{i}", 0, 0.1, 0.1) for i in range(2000)]
    assert 150 < splits.count("test") < 250 and 150 < splits.count("validation") < 250
    assert splits != [assign_split(f"doc-{i}", 1, 0.1, 0.1) for i in range(2000)]


def test_shards_are_bounded_and_hashed_in_the_manifest(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", open_documents(50))
    stats = run(tmp_path, SourceSpec(name="s", path=path), shard_rows=10)
    out = tmp_path / "out"
    train_shards = sorted((out / "shards").glob("train-*.parquet"))
    assert len(train_shards) == -(-stats["splits"]["train"]["documents"] // 10)
    manifest = json.loads((out / "manifest.json").read_text())["files"]
    assert all(f"shards/{s.name}" in manifest for s in train_shards)
    assert len(kept_rows(out)) == 50


def test_missing_input_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="existiert nicht"):
        run(tmp_path, SourceSpec(name="s", path=tmp_path / "nope.jsonl"))


def test_volume_is_reported_in_characters_and_estimated_tokens(tmp_path: Path) -> None:
    docs = open_documents(10)
    docs.append({"id": "nc", "text": "n" * 300, "license": "CC-BY-NC-4.0"})
    stats = run(tmp_path, SourceSpec(name="s", path=write_jsonl(tmp_path / "d.jsonl", docs)))
    volume = stats["kept_volume"]["by_license"]["CC0-1.0"]
    assert volume["documents"] == 10
    assert volume["characters"] == sum(len(d["text"]) for d in docs[:10])
    assert volume["estimated_tokens"] == volume["bytes"] // 4
    assert sum(s["characters"] for s in stats["splits"].values()) == volume["characters"]
    assert stats["excluded_characters_by_reason"] == {"licence-non-commercial": 300}


def test_shards_are_also_bounded_by_bytes(tmp_path: Path) -> None:
    docs = open_documents(30)
    run(
        tmp_path,
        SourceSpec(name="s", path=write_jsonl(tmp_path / "d.jsonl", docs)),
        shard_bytes=2000,
        validation_fraction=0.0,
        test_fraction=0.0,
    )
    largest = max(len(d["text"].encode()) for d in docs)
    shards = sorted((tmp_path / "out" / "shards").glob("train-*.parquet"))
    sizes = [
        sum(len(t.encode()) for t in pq.read_table(s).column("text").to_pylist()) for s in shards
    ]
    assert sum(sizes) == sum(len(d["text"].encode()) for d in docs)
    assert all(2000 <= size < 2000 + largest for size in sizes[:-1])
    assert 0 < sizes[-1] < 2000 + largest


def test_a_folder_with_a_fifo_an_outside_link_and_an_unreadable_file_is_curated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gemeingut.stages as stages

    source, outside = tmp_path / "quelle", tmp_path / "fremd"
    source.mkdir()
    outside.mkdir()
    (outside / "geheim.txt").write_text("Fremder Text mit unbekannter Lizenz.", "utf-8")
    (source / "gut.txt").write_text("Die Bibliothek teilt offene Daten mit allen.", "utf-8")
    (source / "gesperrt.txt").write_text("Gesperrt.", "utf-8")
    (source / "aussen.txt").symlink_to(outside / "geheim.txt")
    os.mkfifo(source / "pipe.txt")
    real_hash = stages.sha256_file

    def unreadable(path: Path) -> str:  # root reads mode-000 files, so the error is injected
        if path.name == "gesperrt.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real_hash(path)

    monkeypatch.setattr(stages, "sha256_file", unreadable)
    spec = SourceSpec(name="f", path=source, license="CC0-1.0")
    section = DataSection(sources=[spec], test_fraction=0, filters=WITHOUT_QUALITY_FILTERS)
    dataset, _ = curate_stage(at(tmp_path / "ds"), section)
    excluded = pq.read_table(dataset.path / "exclusions.parquet").to_pylist()
    assert {e["id"] for e in excluded} == {"f/aussen.txt", "f/pipe.txt"}
    assert all(str(tmp_path) not in e["detail"] + e["location"] for e in excluded)
    assert dataset.stats["kept"] == 2  # gut.txt, and gesperrt.txt (only its hash failed)
