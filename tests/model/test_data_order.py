from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch
from transformers import AutoTokenizer

from gemeingut.data.shards import SHARD_DIR, iter_texts
from gemeingut.errors import InputError
from gemeingut.model.data_order import (
    DataOrder,
    pack_split,
    rank_micro_batches,
    write_windows_table,
)
from gemeingut.model.packing import token_stream, windows
from gemeingut.model.token_file import open_split, tokenize_split


@pytest.fixture(scope="module")
def packed(tiny_build, tmp_path_factory: pytest.TempPathFactory):
    dataset = Path(tiny_build["dataset"]["path"])
    tokenizer = AutoTokenizer.from_pretrained(tiny_build["tokenizer"]["path"])
    folder = tmp_path_factory.mktemp("tokens")
    tokenize_split(dataset, "train", tokenizer, folder)
    return dataset, tokenizer, pack_split(folder, "train", 32, dataset)


def test_packing_gives_the_same_windows_as_the_token_stream(packed) -> None:
    dataset, tokenizer, train = packed
    expected = windows(token_stream(tokenizer, iter_texts(dataset, "train")), 32)
    assert torch.equal(train.rows(range(len(train))), expected)
    assert train.file.stream.dtype == np.uint16  # a 300-token vocabulary: two bytes per token


def test_token_file_is_written_once_and_mapped(packed, tmp_path: Path) -> None:
    dataset, tokenizer, train = packed
    tokenize_split(dataset, "train", tokenizer, tmp_path)
    written = (tmp_path / "train.tokens").stat().st_mtime_ns
    tokenize_split(dataset, "train", tokenizer, tmp_path)  # complete: not written again
    assert (tmp_path / "train.tokens").stat().st_mtime_ns == written
    mapped = open_split(tmp_path, "train")
    assert isinstance(mapped.stream, np.memmap)
    assert len(mapped.doc_starts) == len(list(iter_texts(dataset, "train")))
    (tmp_path / "train.json").unlink()  # as if killed before the end: written again
    (tmp_path / "train.tokens").write_bytes(b"torn")
    tokenize_split(dataset, "train", tokenizer, tmp_path)
    assert np.array_equal(open_split(tmp_path, "train").stream, train.file.stream)


def test_a_split_too_small_for_one_window_is_a_clear_error(packed, tmp_path: Path) -> None:
    dataset, tokenizer, train = packed
    tokenize_split(dataset, "train", tokenizer, tmp_path)
    too_long = len(train.file.stream) + 5
    with pytest.raises(InputError, match="zu klein für eine Sequenz"):
        pack_split(tmp_path, "train", too_long, dataset)


def test_every_window_lies_inside_the_documents_its_origin_names(packed) -> None:
    dataset, tokenizer, train = packed
    rows = {
        name: pq.read_table(dataset / SHARD_DIR / name).column("text").to_pylist()
        for name in train.shards
    }
    for i in range(0, len(train), 7):
        first_shard, first_row, last_shard, last_row = train.origin(np.array([i]))[0].tolist()
        assert first_shard == last_shard  # the tiny dataset has one train shard
        texts = rows[train.shards[first_shard]][first_row : last_row + 1]
        ids: list[int] = []
        for encoded in tokenizer(texts, add_special_tokens=False)["input_ids"]:
            ids += [*encoded, tokenizer.eos_token_id]
        window = train.rows([i])[0].tolist()
        assert any(ids[s : s + len(window)] == window for s in range(len(ids) - len(window) + 1))
        assert window[0] in ids[: len(ids) - len(window) + 1]


def test_global_order_is_a_permutation_per_epoch_and_fixed_by_the_seed() -> None:
    order = DataOrder(n_windows=10, seed=3, global_batch=4)
    first_epoch = torch.cat([order.batch_at(p) for p in (0, 4)] + [order.batch_at(8)[:2]])
    assert sorted(first_epoch.tolist()) == list(range(10))
    assert torch.equal(order.batch(2), order.batch_at(8))
    assert order.batch(2)[2:].tolist() == DataOrder(10, 3, 4).permutation(1)[:2].tolist()
    assert not torch.equal(DataOrder(10, 4, 4).batch(0), order.batch(0))


def test_ranks_and_micro_batches_split_the_same_global_batch() -> None:
    one = DataOrder(n_windows=50, seed=1, global_batch=8)
    batch = one.batch(3)
    shares = [rank_micro_batches(batch, r, world_size=2, accumulation=2) for r in range(2)]
    assert [m.tolist() for share in shares for m in share] == batch.view(4, 2).tolist()
    single = rank_micro_batches(batch, 0, world_size=1, accumulation=1)
    assert torch.equal(torch.cat(single), batch)


def test_windows_table_written_in_chunks_equals_one_written_whole(packed, tmp_path: Path) -> None:
    _, _, train = packed
    write_windows_table(train, tmp_path / "whole.parquet")
    write_windows_table(train, tmp_path / "chunks.parquet", chunk=5)
    whole = pq.read_table(tmp_path / "whole.parquet")
    chunks = pq.ParquetFile(tmp_path / "chunks.parquet")
    assert chunks.metadata.num_row_groups > 1
    assert chunks.read().to_pylist() == whole.to_pylist()
    assert whole.column("window").to_pylist() == list(range(len(train)))
