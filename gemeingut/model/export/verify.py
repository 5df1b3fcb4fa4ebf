"""Reads a written GGUF back before it is renamed into place: every key, every tensor and the
tokenisation probe. A file that does not read back as planned is never published."""

from __future__ import annotations

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
    for key, (value, vtype) in metadata.items():
        field = reader.fields.get(key)
        got = field.contents() if field is not None else None
        scalar = vtype == T.FLOAT32 and not isinstance(value, list)
        want = np.float32(value) if scalar else value  # scores: whole numbers, exact
        if got != want:
            raise GGUFMismatch(f"key {key} reads back as {str(got)[:80]!r}")
    tensors = {t.name: t for t in reader.tensors}
    if list(tensors) != [p.name for p in plan]:
        raise GGUFMismatch(f"tensors differ from the plan: {sorted(tensors)}")
    checked = 0
    for item in plan:
        stored = tensors[item.name]
        data = np.asarray(stored.data).reshape(item.shape)
        if data.dtype != item.dtype:
            raise GGUFMismatch(f"{item.name} is stored as {data.dtype}, not {item.dtype}")
        data = data.astype(np.float32)
        if item.permute_heads:
            data = unpermute_for_rope(data, item.permute_heads)
        source = source_array(item, weights, shape)
        exact = item.dtype == np.float32
        if not (np.array_equal(data, source) if exact else _f16_close(data, source)):
            raise GGUFMismatch(f"{item.name} does not match {item.source}")
        checked += data.size
    check_probe(tokenizer_from_gguf(reader), tokenizer)
    return checked


def _f16_close(got: np.ndarray, want: np.ndarray) -> bool:
    # F16 keeps 11 significant bits (relative error <= 2^-11); below 2^-14 it is subnormal,
    # with an absolute step of 2^-24.
    return bool(np.allclose(got, want, rtol=2.0**-11, atol=2.0**-24))
