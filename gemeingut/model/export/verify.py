"""Reads a written GGUF back before it is renamed into place: every key, every tensor and the
tokenisation probe. A file that does not read back as planned is never published.

`gemeingut verify` reads a released GGUF back the same way (`mismatches`), against what the
bundle's own model folder and release record give, to name a key or tensor changed since.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
import numpy as np
from gguf import GGUFValueType as T

from gemeingut.model.export.architectures import Shape
from gemeingut.model.export.probe import check_probe, tokenizer_from_gguf
from gemeingut.model.export.tensors import Planned, source_array, unpermute_for_rope


class GGUFMismatch(RuntimeError):
    """The written file does not read back as intended: a bug in this exporter, not user input."""


@dataclass(frozen=True)
class Mismatch:
    """One part of the file that is not as planned: a `key` (`found`: its value as read), the
    `tensors` (`found`: the names it holds), a tensor's `dtype`, `shape` or `values` (`found`:
    the dtype or shape stored; for values, the Hugging Face tensor it should equal)."""

    part: str
    name: str
    found: str

    def __str__(self) -> str:  # the exporter's own report of a bug, not a user-facing text
        return f"{self.part} {self.name}: {self.found}"


def verify_gguf(
    path: Path,
    metadata: dict[str, tuple[Any, T]],
    plan: list[Planned],
    weights: dict[str, Path],
    shape: Shape,
    tokenizer: dict[str, Any],
) -> int:
    """Read the file back: every key, every tensor (q/k un-permuted) and a tokenisation probe.
    Returns the number of parameters checked."""
    reader = gguf.GGUFReader(path)
    for mismatch in mismatches(reader, metadata, plan, weights, shape):
        raise GGUFMismatch(str(mismatch))
    check_probe(tokenizer_from_gguf(reader), tokenizer)
    return sum(math.prod(item.shape) for item in plan)


def mismatches(
    reader: gguf.GGUFReader,
    metadata: dict[str, tuple[Any, T]],
    plan: list[Planned],
    weights: dict[str, Path],
    shape: Shape,
) -> Iterator[Mismatch]:
    """Each key whose value differs from `metadata`, then each tensor that differs from what
    the plan makes of its source (exactly: the writer stored `source` cast to the planned type,
    so a single changed bit is a difference)."""
    for key, (value, vtype) in metadata.items():
        field = reader.fields.get(key)
        got = field.contents() if field is not None else None
        scalar = vtype == T.FLOAT32 and not isinstance(value, list)
        want = np.float32(value) if scalar else value  # scores: whole numbers, exact
        if got != want:
            yield Mismatch("key", key, str(got)[:80])
    tensors = {t.name: t for t in reader.tensors}
    if list(tensors) != [p.name for p in plan]:
        yield Mismatch("tensors", "", ", ".join(tensors))
        return
    for item in plan:
        stored = tensors[item.name]
        data = np.asarray(stored.data)
        if data.dtype != item.dtype:
            yield Mismatch("dtype", item.name, str(data.dtype))
            continue
        if data.size != math.prod(item.shape):
            yield Mismatch("shape", item.name, str(tuple(int(n) for n in stored.shape[::-1])))
            continue
        data = data.reshape(item.shape)
        if item.permute_heads:
            data = unpermute_for_rope(data, item.permute_heads)
        source = source_array(item, weights, shape).astype(item.dtype)
        if not np.array_equal(data, source, equal_nan=True):
            yield Mismatch("values", item.name, str(item.source))
