"""Writes the planned GGUF file with gguf-py's writer, one tensor in memory at a time."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import gguf
import numpy as np
from gguf import GGUFValueType as T

from gemeingut.model.export.architectures import Shape
from gemeingut.model.export.tensors import Planned, gguf_array


def write_gguf(
    path: Path,
    metadata: dict[str, tuple[Any, T]],
    plan: list[Planned],
    weights: dict[str, Path],
    shape: Shape,
) -> None:
    """Stream tensors one at a time: header and tensor infos first, then each tensor's data."""
    writer = gguf.GGUFWriter(path, shape.arch.name)
    try:
        for key, (value, vtype) in metadata.items():
            if key == gguf.Keys.General.ARCHITECTURE:
                continue  # the writer adds it itself; it stays in `metadata` to be verified
            if isinstance(value, list):
                writer.add_key_value(key, value, T.ARRAY, sub_type=vtype)
            else:
                writer.add_key_value(key, value, vtype)
        for item in plan:
            nbytes = math.prod(item.shape) * np.dtype(item.dtype).itemsize
            writer.add_tensor_info(item.name, item.shape, np.dtype(item.dtype), nbytes)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for item in plan:
            writer.write_tensor_data(gguf_array(item, weights, shape))
    finally:
        writer.close()
