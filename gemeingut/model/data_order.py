"""Training windows that remember where they came from, and the order in which they are seen.

Packing: each document's tokens, then EOS, concatenated in stored order (shard by shard, row by
row); window i holds stream positions [i*seq_len, (i+1)*seq_len], so consecutive windows share
one token (the last target of one is the first input of the next). Window i's *origin* is the
(shard, row) of the document holding its first token and of the one holding its last.

Order: one global permutation of the windows per epoch, `torch.randperm(n,
Generator(seed*100003 + epoch))`, concatenated over epochs; each optimizer step takes the next G
positions (G = global batch = batch_size × grad_accumulation × world size), so step k of a fresh
run takes [k*G, (k+1)*G). Under DDP/FSDP rank r takes the contiguous slice [r*G/W, (r+1)*G/W)
of that global batch and cuts it into `grad_accumulation` micro-batches (OLMo-core's design), so
a run on W devices sees the same sequence as a run on one with the same global batch. A
checkpoint records the position; a run resumed with another world size continues from there.

Recorded in the model artifact under `data_order/` (described by `ORDER_FORMAT`, which
`training.json` repeats):
  windows.parquet  window, first_shard, first_row, last_shard, last_row (train split)
  steps.jsonl      {"step": k, "epoch": e, "windows": [...]} per optimizer step, the global
                   batch in order (rank r's share is the r-th contiguous slice)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.model.token_file import TokenFile, open_split

ORDER_DIR = "data_order"
WINDOWS_FILE = "windows.parquet"
STEPS_FILE = "steps.jsonl"
ORDER_FORMAT = {
    "windows_file": f"{ORDER_DIR}/{WINDOWS_FILE}",
    "windows_columns": "window: index into the train windows; first_shard/first_row and "
    "last_shard/last_row: the shard file (under the dataset's shards/) and 0-based row of the "
    "documents holding the window's first and last token",
    "steps_file": f"{ORDER_DIR}/{STEPS_FILE}",
    "steps_record": '{"step": k (1-based optimizer step), "epoch": e, "windows": [global batch '
    "in order; rank r of W takes the r-th contiguous slice, cut into grad_accumulation "
    "micro-batches]}",
    "permutation": "per epoch torch.randperm(n_windows, generator=torch.Generator()"
    ".manual_seed(seed * 100003 + epoch)), concatenated over epochs; each step takes the next "
    "G (global batch) positions",
    "packing": "documents in stored order, each tokenized without special tokens and followed "
    "by EOS; window i = stream[i*seq_len : (i+1)*seq_len + 1]",
}


@dataclass(frozen=True)
class Windows:
    """Window i = ids [i*seq_len, (i+1)*seq_len] of a split's memory-mapped token stream; only
    the windows a batch asks for are read (`rows`)."""

    file: TokenFile
    seq_len: int

    def __len__(self) -> int:
        return max(0, (len(self.file.stream) - 1) // self.seq_len)

    @property
    def shards(self) -> list[str]:
        return self.file.shards

    def rows(self, indices: torch.Tensor | np.ndarray | list[int]) -> torch.Tensor:
        """The windows `indices` as a [len(indices), seq_len + 1] int64 tensor."""
        starts = np.asarray(indices, dtype=np.int64) * self.seq_len
        return torch.from_numpy(
            self.file.stream[starts[:, None] + np.arange(self.seq_len + 1)].astype(np.int64)
        )

    def origin(self, indices: np.ndarray) -> np.ndarray:
        """[len(indices), 4]: first (shard, row) and last (shard, row) of each window."""
        starts = np.asarray(indices, dtype=np.int64) * self.seq_len
        docs = self.file.doc_starts
        first = np.searchsorted(docs, starts, side="right") - 1
        last = np.searchsorted(docs, starts + self.seq_len, side="right") - 1
        shard, row = self.file.doc_shard, self.file.doc_row
        return np.stack([shard[first], row[first], shard[last], row[last]], axis=1)


def pack_split(
    folder: Path,
    split: str,
    seq_len: int,
    dataset_dir: Path,
    seq_len_setting: str = "model.training.seq_len",
) -> Windows:
    """The windows of one split, from its token file in `folder` (see `token_file.py`)."""
    windows = Windows(open_split(folder, split), seq_len)
    if len(windows) == 0:
        raise InputError(
            _(
                "the {split} split of {dataset} is too small for one sequence of {seq_len} tokens",
                split=split,
                dataset=str(dataset_dir),
                seq_len=str(seq_len),
            ),
            _(
                "add documents, lower {setting}, or raise data.validation_fraction",
                setting=seq_len_setting,
            ),
        )
    return windows


def write_windows_table(windows: Windows, path: Path, chunk: int = 1 << 20) -> None:
    """The window → (shard, row range) map as Parquet (dictionary-encoded shard names),
    written a chunk of windows at a time."""
    names = pa.array(windows.shards, pa.string())
    writer = None
    try:
        for begin in range(0, len(windows), chunk):
            index = np.arange(begin, min(begin + chunk, len(windows)), dtype=np.int64)
            origin = windows.origin(index)
            table = pa.table(
                {
                    "window": pa.array(index),
                    "first_shard": pa.DictionaryArray.from_arrays(
                        origin[:, 0].astype(np.int32), names
                    ),
                    "first_row": pa.array(origin[:, 1].astype(np.int64)),
                    "last_shard": pa.DictionaryArray.from_arrays(
                        origin[:, 2].astype(np.int32), names
                    ),
                    "last_row": pa.array(origin[:, 3].astype(np.int64)),
                }
            )
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


@dataclass
class DataOrder:
    """Global batches of window indices, a pure function of (seed, number of windows, step)."""

    n_windows: int
    seed: int
    global_batch: int
    _cache: dict[int, torch.Tensor] = field(default_factory=dict, repr=False)

    def permutation(self, epoch: int) -> torch.Tensor:
        if epoch not in self._cache:
            generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            self._cache = {epoch: torch.randperm(self.n_windows, generator=generator)}
        return self._cache[epoch]

    def batch(self, step: int) -> torch.Tensor:
        """Window indices of optimizer step `step` (0-based), in global order."""
        return self.batch_at(step * self.global_batch)

    def batch_at(self, start: int) -> torch.Tensor:
        """The global batch that begins `start` windows into the concatenated epochs (a run
        resumed with another global batch continues where the checkpoint stopped)."""
        epoch, offset = divmod(start, self.n_windows)
        if offset + self.global_batch <= self.n_windows:  # within one epoch: a slice
            return self.permutation(epoch)[offset : offset + self.global_batch].clone()
        positions = torch.arange(start, start + self.global_batch)
        epochs = positions // self.n_windows
        out = torch.empty(self.global_batch, dtype=torch.long)
        for epoch in epochs.unique().tolist():
            mask = epochs == epoch
            out[mask] = self.permutation(epoch)[positions[mask] % self.n_windows]
        return out

    def epoch_at(self, position: int) -> int:
        return position // self.n_windows


def rank_micro_batches(
    indices: torch.Tensor, rank: int, world_size: int, accumulation: int
) -> list[torch.Tensor]:
    """Rank `rank`'s contiguous share of a global batch, cut into `accumulation` micro-batches."""
    share = indices.view(world_size, -1)[rank]
    return list(share.view(accumulation, -1))
