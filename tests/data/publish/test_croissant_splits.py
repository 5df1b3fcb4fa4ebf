"""mlcroissant reads the documents of every split, with no warning: from the publication's
croissant.json, and from a release bundle's copy, whose test shards lie in ../test-data/.

mlcroissant applied the split field's pattern (`^(train|validation|test)-.*\\.parquet$`) to
the file name and then again to the split it had read from it, and warned once per record
("Could not match … in train"); the bundle's copy declared its test shards, but its FileSet
gathered only the shards beside it, so no test document was read."""

import logging
import shutil
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gemeingut.data.shards import SHARD_DIR
from gemeingut.release.bundle import EXCLUDED_DIR, write_bundle_croissant
from gemeingut.release.layout import TEST_DATA, TRAINING_DATA

mlc = pytest.importorskip("mlcroissant")
pytestmark = [  # mlcroissant's own use of deprecated rdflib and pandas APIs
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated"),
    pytest.mark.filterwarnings("ignore:The inplace keyword"),
]


def _splits_read(croissant: Path, caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    """Each document id mlcroissant reads from any record set of `croissant`, with its split;
    no warning logged while it reads them."""
    dataset = mlc.Dataset(jsonld=croissant)
    assert dataset.metadata.ctx.issues.errors == set()
    read: dict[str, str] = {}
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        for record_set in dataset.metadata.record_sets:
            if not record_set.uuid.startswith("documents"):
                continue
            for record in dataset.records(record_set.uuid):
                doc_id = record[f"{record_set.uuid}/id"].decode()
                assert doc_id not in read, f"{doc_id} read twice"
                read[doc_id] = record[f"{record_set.uuid}/split"].decode()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [], warnings[:3]
    return read


def _shard_splits(files: list[Path]) -> dict[str, str]:
    return {
        doc_id: shard.name.split("-", 1)[0]
        for shard in files
        for doc_id in pq.read_table(shard, columns=["id"])["id"].to_pylist()
    }


def test_every_split_is_read_from_the_publication_without_a_warning(
    dataset: Path, published, caplog: pytest.LogCaptureFixture
) -> None:
    read = _splits_read(dataset / "croissant.json", caplog)
    expected = _shard_splits(sorted((dataset / SHARD_DIR).glob("*.parquet")))
    assert set(expected.values()) == {"train", "validation", "test"}
    assert read == expected


def test_the_bundles_copy_reads_its_test_shards_in_test_data_too(
    dataset: Path, published, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    training, test = tmp_path / TRAINING_DATA, tmp_path / TEST_DATA
    (training / EXCLUDED_DIR).mkdir(parents=True)
    test.mkdir()
    shards = sorted((dataset / SHARD_DIR).glob("*.parquet"))
    for shard in shards:  # laid out as `release` lays them out
        shutil.copy2(shard, (test if shard.name.startswith("test-") else training) / shard.name)
    shutil.copy2(dataset / "exclusions.parquet", training / EXCLUDED_DIR / "exclusions.parquet")
    write_bundle_croissant(dataset / "croissant.json", training)
    assert len(list(test.glob("test-*.parquet"))) > 1  # a record set for each of them
    read = _splits_read(training / "croissant.json", caplog)
    assert Counter(read.values())["test"] > 0
    assert read == _shard_splits(shards)
