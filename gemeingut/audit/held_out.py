"""The examples a fine-tune held out for validation, found again from its record: they were
never trained on, so memorisation, tracing and the overlap check must not count them.

Without separate validation data, `model/finetune_data.held_out` holds out a seeded share of the
examples by position: the first `size` of `torch.randperm(count)` seeded with the training
seed. The record (`finetune.json`, beside the fine-tune's `data/` and in a bundle's
`training-metadata/`) keeps the seed and how many examples went each way, which is all the draw
needs. `verify` re-draws the memorisation sample without torch, so the permutation is computed
here as torch's CPU `randperm` computes it (a Fisher–Yates shuffle driven by MT19937 seeded as
`manual_seed` seeds it); a test holds it equal to torch's.
"""

from __future__ import annotations

import json
import random
from functools import lru_cache
from pathlib import Path
from typing import Any

from gemeingut.audit.finetuning_data import (
    DATA_DIR,
    VALIDATION_DIR,
    finetuning_files,
    is_text_file,
    unreadable_jsonl,
)
from gemeingut.data.compressed import STREAM_ERRORS, open_compressed
from gemeingut.data.shards import CURATED_DIR
from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.model.loading import FINETUNE_FILE
from gemeingut.release.layout import (
    FINETUNE_DATA,
    FINETUNE_EARLIER,
    FINETUNE_RECORD,
    TRAINING_DATA,
    TRAINING_METADATA,
)

_MT_SIZE = 624  # MT19937's state, in 32-bit words


def held_out(files: tuple[Path, ...]) -> dict[Path, frozenset[int]]:
    """Of `files` (resolved), those of a fine-tune's data that hold held-out examples, each with
    their positions in the file (the nth non-blank line of a JSONL file; 0 for a text file,
    which is one example)."""
    folders = {file.resolve().parent for file in files if file.suffix != ".parquet"}
    roots = {root for folder in folders if (root := _data_root(folder)) is not None}
    found: dict[Path, frozenset[int]] = {}
    for data, record in sorted(roots):
        found |= _held_in(data, record, record.stat().st_mtime_ns)
    return found


def randperm(count: int, seed: int) -> list[int]:
    """`torch.randperm(count, generator=torch.Generator().manual_seed(seed))`, without torch
    (its algorithm for fewer than 2**32 / 20 elements)."""
    mt = [seed & 0xFFFFFFFF]
    for i in range(1, _MT_SIZE):
        mt.append((1812433253 * (mt[-1] ^ (mt[-1] >> 30)) + i) & 0xFFFFFFFF)
    engine = random.Random()
    engine.setstate((3, (*mt, _MT_SIZE), None))  # Python's Mersenne Twister, this state
    order = list(range(count))
    for i in range(count - 1):
        j = i + engine.getrandbits(32) % (count - i)
        order[i], order[j] = order[j], order[i]
    return order


def _data_root(folder: Path) -> tuple[Path, Path] | None:
    """The fine-tune data folder that `folder` is or lies in, and the record beside it: a
    fine-tune's `data/` (`finetune.json` next to it), a bundle's `training-data/finetuning/` or
    an earlier fine-tune's `training-data/finetuning-earlier/<id>/` (its record in
    `training-metadata/finetuning-earlier/<id>/`).
    A dataset's shards are not asked about: its validation split is its own."""
    for inside in (folder, *folder.parents):
        if inside.name == DATA_DIR and (inside.parent / FINETUNE_FILE).is_file():
            return inside, inside.parent / FINETUNE_FILE
        bundle = inside.parent.parent
        if (
            inside == bundle / TRAINING_DATA / FINETUNE_DATA
            and (bundle / FINETUNE_RECORD).is_file()
        ):
            return inside, bundle / FINETUNE_RECORD
        if inside.parent.name == FINETUNE_EARLIER and inside.parent.parent.name == TRAINING_DATA:
            records = inside.parent.parent.parent / TRAINING_METADATA / FINETUNE_EARLIER
            if (records / inside.name / FINETUNE_FILE).is_file():  # an earlier fine-tune's
                return inside, records / inside.name / FINETUNE_FILE
    return None


@lru_cache(maxsize=16)
def _held_in(data: Path, record: Path, _changed: int) -> dict[Path, frozenset[int]]:
    """Per file of `data`, its held-out positions (cached: every reader of the documents asks,
    one file at a time too; `_changed`, the record's mtime, renews it)."""
    split = _recorded_split(record, data)
    if split is None:
        return {}
    count, size, seed = split
    files = finetuning_files(data)
    sizes = [1 if is_text_file(file) else _lines(file) for file in files]
    if sum(sizes) != count:
        raise InputError(
            _(
                "{data} holds {found} examples, but {record} records {count} (trained and held "
                "out): it is not the data that fine-tune read",
                data=str(data),
                found=sum(sizes),
                record=str(record),
                count=count,
            ),
            _("keep the fine-tune's data folder as the fine-tune wrote it"),
        )
    chosen = sorted(randperm(count, seed)[:size])
    found: dict[Path, frozenset[int]] = {}
    start = taken = 0
    for file, n in zip(files, sizes, strict=True):
        mine = []
        while taken < size and chosen[taken] < start + n:
            mine.append(chosen[taken] - start)
            taken += 1
        if mine:
            found[file.resolve()] = frozenset(mine)
        start += n
    return found


def _recorded_split(record: Path, data: Path) -> tuple[int, int, int] | None:
    """(examples in all, held out, seed) where the fine-tune held examples of `data` out; None
    where it validated on separate data or a dataset's own split, or held none out."""
    if (data / VALIDATION_DIR).exists() or (data / CURATED_DIR).is_dir():
        return None
    try:
        facts: Any = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            _("{record} cannot be read: {error}", record=str(record), error=str(exc)),
            _("keep the record `gemeingut model finetune` wrote"),
        ) from None
    data_said = facts.get("data") if isinstance(facts, dict) else None
    try:  # a record without the counts cannot tell them apart
        train = int(data_said["train"]["examples"])
        held = int(data_said["validation"]["examples"])
        seed = int(facts["training"]["seed"])
    except (KeyError, TypeError, ValueError):
        return None
    return (train + held, held, seed) if held else None


def _lines(file: Path) -> int:
    """A JSONL file's examples: its non-blank lines, as the fine-tune counted them."""
    read = examples = 0
    try:
        with open_compressed(file) as lines:
            for line in lines:
                read += 1
                examples += bool(line.strip())
    except STREAM_ERRORS as exc:
        raise unreadable_jsonl(file, read, exc) from None
    return examples
