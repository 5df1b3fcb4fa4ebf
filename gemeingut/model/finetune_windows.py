"""Fine-tuning windows: examples packed into memory-mapped token files, or a curated dataset's
token files windowed as in pretraining.

Examples are packed whole into windows of seq_len + 1 tokens (padding the rest, untrained), so an
answer always sees its own prompt; an example longer than a window is cut (counted). Plain text
longer than a window is split into consecutive windows like in pretraining.

Packing tokenizes a batch of examples at a time (`finetune_data.encode`) and appends each filled
window to two files: `<name>.ids` (ids as in `token_file.py`) and `<name>.trained` (a flag per
token). Both are written under temporary names and renamed when complete; training memory-maps
them, so memory stays at one batch of examples and one window.

Under torchrun only the leader reads and packs the data. Its `layout` (file names, dtype, width
and stats: a few numbers) goes to the followers in the job message, and they only map the
finished files (`open_windows`), as pretraining's followers map rank 0's token files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from gemeingut.data.shards import SHARD_DIR
from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.model.data_order import Windows, pack_split
from gemeingut.model.finetune_data import Example, Kind, encode, split_examples, starts_with_bos
from gemeingut.model.token_file import open_split, token_dtype, tokenize_split
from gemeingut.recipe import FinetuneSection

# Examples tokenized per call (fast tokenizers encode a batch in parallel), and the characters
# that end a batch early, so a folder of large text files is not read into memory at once.
_BATCH_EXAMPLES = 256
_BATCH_CHARS = 1 << 22


@dataclass(frozen=True)
class SftWindows:
    """`tokens[i]` (seq_len + 1 ids) and `trained[i]`: whether each token is a training target;
    both memory-mapped from the files `pack` wrote, so only the rows a batch asks for are read."""

    tokens: np.ndarray  # [windows, seq_len + 1] uint16/uint32
    trained: np.ndarray  # [windows, seq_len + 1] bool
    stats: dict[str, int] = field(default_factory=dict)
    name: str = ""  # of the files in the folder: <name>.ids, <name>.trained

    def __len__(self) -> int:
        return len(self.tokens)

    def targets(self, rows: torch.Tensor | list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs, targets) of some windows; untrained targets are -100 (ignored)."""
        index = np.asarray(rows, dtype=np.int64)
        tokens = torch.from_numpy(self.tokens[index].astype(np.int64))
        trained = torch.from_numpy(np.array(self.trained[index], dtype=bool))
        return tokens[:, :-1], tokens[:, 1:].masked_fill(~trained[:, 1:], -100)

    def layout(self) -> dict[str, Any]:
        """What `open_windows` needs to map the same files (JSON)."""
        return {
            "format": "packed",
            "name": self.name,
            "dtype": self.tokens.dtype.name,
            "width": self.tokens.shape[1],
            "stats": self.stats,
        }

    @classmethod
    def open(
        cls, folder: Path, name: str, stats: dict[str, int], dtype: str, width: int
    ) -> SftWindows:
        """Map the complete files `pack` wrote into `folder` (by another process)."""
        rows = stats["windows"]
        tokens = _map(folder / f"{name}.ids", dtype, width, rows)
        return cls(tokens, _map(folder / f"{name}.trained", np.bool_, width, rows), stats, name)


@dataclass(frozen=True)
class StreamWindows:
    """A curated dataset as fine-tuning data: its documents memory-mapped and windowed as in
    pretraining (`token_file.py`), every token trained, so a large corpus is never held in
    memory (continued pretraining on one's own domain)."""

    windows: Windows
    split: str = "train"

    def __len__(self) -> int:
        return len(self.windows)

    @property
    def stats(self) -> dict[str, int]:
        documents = len(self.windows.file.doc_starts)
        return {
            "examples": documents,
            "text_examples": documents,
            "instruction_examples": 0,
            "chat_examples": 0,
            "truncated": 0,
            "without_targets": 0,
            "windows": len(self),
            "trained_tokens": len(self) * self.windows.seq_len,
        }

    def targets(self, rows: torch.Tensor | list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        tokens = self.windows.rows(rows)
        return tokens[:, :-1], tokens[:, 1:]

    def layout(self) -> dict[str, Any]:
        return {"format": "stream", "split": self.split, "seq_len": self.windows.seq_len}


TrainingWindows = SftWindows | StreamWindows


def make_windows(
    data: Path, section: FinetuneSection, tokenizer: PreTrainedTokenizerBase, folder: Path
) -> tuple[TrainingWindows, TrainingWindows]:
    """Train and validation windows, packed into memory-mapped files under `folder` (the
    leader's work; the files are complete when this returns)."""
    seq_len = section.training.seq_len
    if (data / SHARD_DIR).is_dir() and section.validation is None:
        return _curated_windows(data, tokenizer, seq_len, folder)
    examples, held = split_examples(
        data, section.validation, section.validation_fraction, section.training.seed
    )
    train = pack(examples, tokenizer, seq_len, folder, "train")
    if len(train) == 0 or train.stats["trained_tokens"] == 0:
        raise InputError(
            _(
                "the fine-tuning data {data} gives no tokens to train on ({examples} examples, "
                "{without} without an answer)",
                data=str(data),
                examples=str(train.stats["examples"]),
                without=str(train.stats["without_targets"]),
            ),
            _("add examples with answers (prompt/completion, chat) or text"),
        )
    return train, pack(held, tokenizer, seq_len, folder, "validation")


def _curated_windows(
    data: Path, tokenizer: PreTrainedTokenizerBase, seq_len: int, folder: Path
) -> tuple[StreamWindows, TrainingWindows]:
    """A curated dataset's train and validation splits, memory-mapped; a validation split too
    small for one window means no validation."""
    for split in ("train", "validation"):
        tokenize_split(data, split, tokenizer, folder)  # kept when complete (a resumed run)
    packed = pack_split(folder, "train", seq_len, data, "finetune.training.seq_len")
    train = StreamWindows(packed, "train")
    held = Windows(open_split(folder, "validation"), seq_len)
    if len(held):
        return train, StreamWindows(held, "validation")
    return train, pack([], tokenizer, seq_len, folder, "validation")


def open_windows(folder: Path, layout: dict[str, Any]) -> TrainingWindows:
    """The windows the leader made, by their `layout`, mapped from its files in `folder`:
    nothing is read or written but the maps."""
    if layout["format"] == "stream":
        windows = Windows(open_split(folder, layout["split"]), layout["seq_len"])
        return StreamWindows(windows, layout["split"])
    args = (layout["name"], layout["stats"], layout["dtype"], layout["width"])
    return SftWindows.open(folder, *args)


def pack(
    examples: Iterable[Example],
    tokenizer: PreTrainedTokenizerBase,
    seq_len: int,
    folder: Path,
    name: str,
) -> SftWindows:
    """Whole examples, in order, into windows of seq_len + 1 tokens, written to `folder` as
    `<name>.ids` and `<name>.trained` and memory-mapped from there."""
    width = seq_len + 1
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if pad is None:
        raise InputError(
            _("the base model's tokenizer has neither a pad nor an EOS token"),
            _("add one of them to its tokenizer_config.json"),
        )
    folder.mkdir(parents=True, exist_ok=True)
    stats = dict.fromkeys(("examples", "truncated", "without_targets", "trained_tokens"), 0)
    stats |= dict.fromkeys(("text_examples", "instruction_examples", "chat_examples"), 0)
    dtype = token_dtype(tokenizer)
    files = [folder / f"{name}.ids", folder / f"{name}.trained"]
    temps = [f.with_name(f".{f.name}.tmp") for f in files]
    try:
        with temps[0].open("wb") as ids_out, temps[1].open("wb") as flags_out:
            writer = _WindowWriter(ids_out, flags_out, np.full(width, pad, dtype=dtype))
            _pack_into(writer, examples, tokenizer, stats)
            writer.finish()
        for temp, file in zip(temps, files, strict=True):
            os.replace(temp, file)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
    stats["windows"], stats["trained_tokens"] = writer.windows, writer.trained_tokens
    return SftWindows.open(folder, name, stats, np.dtype(dtype).name, width)


def _pack_into(
    writer: _WindowWriter,
    examples: Iterable[Example],
    tokenizer: PreTrainedTokenizerBase,
    stats: dict[str, int],
) -> None:
    bos = starts_with_bos(tokenizer)
    for batch in _batches(examples):
        for example, (ids, flags) in zip(batch, encode(batch, tokenizer, bos), strict=True):
            stats["examples"] += 1
            stats[f"{example.kind}_examples"] += 1
            for item_ids, item_flags in _items(example.kind, ids, flags, writer.width, stats):
                if any(item_flags[1:]):
                    writer.add(item_ids, item_flags)
                else:
                    stats["without_targets"] += 1


def _batches(examples: Iterable[Example]) -> Iterator[list[Example]]:
    batch: list[Example] = []
    chars = 0
    for example in examples:
        batch.append(example)
        chars += example.size()
        if len(batch) == _BATCH_EXAMPLES or chars >= _BATCH_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def _items(
    kind: Kind, ids: list[int], flags: list[bool], width: int, stats: dict[str, int]
) -> Iterator[tuple[list[int], list[bool]]]:
    if len(ids) <= width:
        yield ids, flags
    elif kind == "text":  # consecutive windows sharing one token, as in pretraining
        for start in range(0, len(ids) - 1, width - 1):
            yield ids[start : start + width], flags[start : start + width]
    else:
        stats["truncated"] += 1
        yield ids[:width], flags[:width]


class _WindowWriter:
    """Fills one window at a time with whole items and appends it, padded, to the two files
    once the next item does not fit."""

    def __init__(self, ids_out: IO[bytes], flags_out: IO[bytes], padding: np.ndarray) -> None:
        self.outs = (ids_out, flags_out)
        self.padding = padding
        self.width = len(padding)
        self.ids = padding.copy()
        self.flags = np.zeros(self.width, dtype=np.bool_)
        self.used = 0
        self.windows = 0
        self.trained_tokens = 0

    def add(self, ids: list[int], flags: list[bool]) -> None:
        if self.used + len(ids) > self.width:
            self.finish()
        end = self.used + len(ids)
        self.ids[self.used : end] = ids
        self.flags[self.used : end] = flags
        self.flags[self.used] = False  # nothing predicts an item's first token
        self.used = end

    def finish(self) -> None:
        """Write the window being filled, if any."""
        if not self.used:
            return
        self.outs[0].write(self.ids.tobytes())
        self.outs[1].write(self.flags.tobytes())
        self.windows += 1
        self.trained_tokens += int(self.flags[1:].sum())
        self.ids[:] = self.padding
        self.flags[:] = False
        self.used = 0


def _map(path: Path, dtype: Any, width: int, rows: int) -> np.ndarray:
    """`rows` windows of `path`; a file of another size is not the one its stats describe."""
    size = path.stat().st_size if path.is_file() else None
    if size != rows * width * np.dtype(dtype).itemsize:
        raise InputError(
            _(
                "{path} is missing, not the {rows} windows of {width} tokens the leader packed",
                path=str(path),
                rows=str(rows),
                width=str(width),
            )
            if size is None
            else _(
                "{path} is {size} bytes, not the {rows} windows of {width} tokens the leader "
                "packed",
                path=str(path),
                size=str(size),
                rows=str(rows),
                width=str(width),
            ),
            _(
                "under torchrun every rank must see the leader's output folder (one machine, or "
                "a shared file system)"
            ),
        )
    if rows == 0:  # numpy refuses to map an empty file
        return np.empty((0, width), dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=(rows, width))
