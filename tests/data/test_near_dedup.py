import random
import zlib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from gemeingut.data.curate import curate
from gemeingut.data.near_dedup import MinHasher, lsh_params, shingles
from gemeingut.recipe import DataSection, SourceSpec
from tests.corpus import open_documents, sentences, write_jsonl


def near_copy(text: str, changes: int, seed: int = 0) -> str:
    """The same text with a few words replaced, like a later version of a regulation."""
    rng = random.Random(seed)
    words = text.split()
    for _ in range(changes):
        words[rng.randrange(len(words))] = "geändert"
    return " ".join(words)


def test_shingles_are_lowercased_word_five_grams() -> None:
    assert shingles("Eins zwei DREI vier fünf sechs", 5) == {
        b"eins zwei drei vier f\xc3\xbcnf",
        b"zwei drei vier f\xc3\xbcnf sechs",
    }
    assert shingles("kurz", 5) == {b"kurz"}


def test_near_copy_is_removed_and_its_cluster_counted(tmp_path: Path) -> None:
    base = sentences(random.Random(1), 60)
    docs = [
        {"id": "v1", "text": base, "license": "CC0-1.0"},
        {"id": "v2", "text": near_copy(base, 2, seed=1), "license": "CC0-1.0"},
        {"id": "v3", "text": near_copy(base, 3, seed=2), "license": "CC0-1.0"},
        *open_documents(10, seed=5),
    ]
    out = tmp_path / "out"
    out.mkdir()
    source = SourceSpec(name="s", path=write_jsonl(tmp_path / "d.jsonl", docs))
    stats = curate(DataSection(sources=[source]), out)
    assert stats["kept"] == 11
    assert stats["excluded_by_reason"] == {"near-duplicate": 2}
    cluster = stats["blocks"]["near_dedup"]
    assert cluster["cluster_size_histogram"] == {"3": 1}
    assert cluster["largest_clusters"] == [{"kept": "v1", "size": 3}]
    details = {r["id"]: r["detail"] for r in pq.read_table(out / "exclusions.parquet").to_pylist()}
    assert details == {"v2": "near copy of v1", "v3": "near copy of v1"}


def test_different_documents_and_a_disabled_block_keep_everything(tmp_path: Path) -> None:
    base = sentences(random.Random(1), 60)
    docs = [
        {"id": "a", "text": base, "license": "CC0-1.0"},
        {"id": "b", "text": near_copy(base, 2), "license": "CC0-1.0"},
    ]
    out = tmp_path / "out"
    out.mkdir()
    source = SourceSpec(name="s", path=write_jsonl(tmp_path / "d.jsonl", docs))
    stats = curate(DataSection(sources=[source], near_dedup=False), out)
    assert stats["kept"] == 2 and "near_dedup" not in stats["blocks"]


def test_heavily_edited_text_is_not_a_near_duplicate() -> None:
    base = sentences(random.Random(2), 60)
    hasher = MinHasher()
    first, second = hasher.signature(base), hasher.signature(near_copy(base, 120))
    assert MinHasher.jaccard(first, second) < 0.5
    assert MinHasher.jaccard(first, hasher.signature(near_copy(base, 2))) > 0.8


def test_signatures_are_datasketchs_so_old_and_new_datasets_agree() -> None:
    datasketch = pytest.importorskip("datasketch")
    hasher = MinHasher()
    for text in (sentences(random.Random(3), 20), "kurz", "", "Ein Satz mit genau fünf Wörtern"):
        theirs = datasketch.MinHash(num_perm=128, seed=1, hashfunc=zlib.crc32)
        theirs.update_batch(list(shingles(text, 5)))
        assert np.array_equal(hasher.signature(text), theirs.hashvalues)


def test_lsh_bands_and_rows_are_datasketchs_for_every_threshold() -> None:
    lsh = pytest.importorskip("datasketch.lsh")
    for threshold in (0.5, 0.7, 0.8, 0.85, 0.9, 0.95):
        assert lsh_params(threshold, 128) == lsh._optimal_param(threshold, 128, 0.5, 0.5)
    assert lsh_params(0.8, 128) == (9, 13)


def test_a_threshold_too_high_for_lsh_is_a_recipe_error() -> None:
    from gemeingut.data.near_dedup import NearDedup
    from gemeingut.errors import RecipeError

    with pytest.raises(RecipeError, match=r"near_dedup_threshold = 0\.99"):
        NearDedup(threshold=0.99)
