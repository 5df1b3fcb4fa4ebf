"""Which GGUF tensor each Hugging Face tensor becomes, and how its values change on the way.

gguf-py's name map per architecture names the tensors; llama.cpp's "norm" RoPE wants q/k rows
permuted, Gemma stores its norms as 1 + w, and llama.cpp reads 1-D tensors as F32. Writing and
verifying both take the values from `source_array`, so they cannot disagree about the source.
Values are read with numpy, not torch: `gemeingut verify` compares a bundle's GGUF with its
weights the same way, and must not wait seconds for torch to import.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
import numpy as np
from safetensors import safe_open

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.model.export.architectures import Shape

F16_MAX = 65504.0


@dataclass
class Planned:
    """One GGUF tensor: where it comes from and how it is stored."""

    name: str
    source: str | None  # HF tensor name; None for tensors we compute (rope_freqs)
    shape: tuple[int, ...]
    dtype: type[np.floating]
    permute_heads: int | None = None  # q/k: llama.cpp's RoPE row order, per this many heads
    offset: float = 0.0  # added to the source values (Gemma's norms)


def weight_index(model_dir: Path) -> dict[str, Path]:
    """HF tensor name -> the safetensors file that holds it (one file or a sharded set)."""
    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        hint = _("re-save with save_pretrained() (safetensors)")
        if any(model_dir.glob("*.bin")):
            hint = _(
                "only safetensors weights are read; re-save with save_pretrained() (safetensors)"
            )
        raise InputError(_("{model}: no *.safetensors weights", model=str(model_dir)), hint)
    index: dict[str, Path] = {}
    for file in files:
        with safe_open(file, framework="np") as f:
            index.update(dict.fromkeys(f.keys(), file))
    return index


def plan_tensors(shape: Shape, weights: dict[str, Path], dtype: str) -> list[Planned]:
    names = gguf.get_tensor_name_map(shape.arch.gguf_arch, shape.n_layers)
    plan, unknown = [], []
    for hf_name in sorted(weights, key=_natural):
        if hf_name.endswith("rotary_emb.inv_freq") or (shape.tied and hf_name == "lm_head.weight"):
            continue  # recomputed by llama.cpp; a tied head is token_embd itself
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            unknown.append(hf_name)
            continue
        with safe_open(weights[hf_name], framework="np") as f:
            dims = tuple(f.get_slice(hf_name).get_shape())
        heads = None
        if shape.arch.rope_interleaved:
            heads = {"q_proj": shape.n_head, "k_proj": shape.n_kv}.get(hf_name.split(".")[-2])
        offset = shape.arch.norm_offset if hf_name.endswith("norm.weight") else 0.0
        # llama.cpp expects norms and every 1-D tensor in F32.
        store = np.float16 if dtype == "f16" and len(dims) > 1 else np.float32
        plan.append(Planned(name, hf_name, dims, store, heads, offset))
    if unknown:
        raise InputError(
            _(
                "tensors with no GGUF {arch} name: {tensors}",
                arch=shape.arch.name,
                tensors=", ".join(unknown[:5]),
            ),
            _("the checkpoint is not a plain model of its declared architecture"),
        )
    if shape.rope["rope_type"] == "llama3":
        rope_name = gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.ROPE_FREQS] + ".weight"
        plan.append(Planned(rope_name, None, (shape.head_dim // 2,), np.float32))
    return plan


def _natural(name: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def gguf_array(item: Planned, weights: dict[str, Path], shape: Shape) -> np.ndarray:
    data = source_array(item, weights, shape)
    if item.permute_heads:
        data = permute_for_rope(data, item.permute_heads)
    if item.dtype == np.float16 and np.abs(data).max(initial=0.0) > F16_MAX:
        raise InputError(
            _("{tensor}: values beyond the F16 range", tensor=item.source),
            _("export with --dtype f32"),
        )
    return np.ascontiguousarray(data.astype(item.dtype))


def source_array(item: Planned, weights: dict[str, Path], shape: Shape) -> np.ndarray:
    if item.source is None:
        return llama3_rope_factors(shape)
    return read_float32(weights[item.source], item.source) + np.float32(item.offset)


def read_float32(file: Path, name: str) -> np.ndarray:
    """One tensor of a safetensors file as float32; bf16, which numpy has no type for, from its
    raw bytes (a bf16 number is the upper half of the float32 it stands for)."""
    with safe_open(file, framework="np") as f:
        if f.get_slice(name).get_dtype() != "BF16":
            return f.get_tensor(name).astype(np.float32)
    with file.open("rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        entry = json.loads(handle.read(size))[name]
        start, end = entry["data_offsets"]
        handle.seek(8 + size + start)
        raw = np.frombuffer(handle.read(end - start), dtype="<u2")
    return (raw.astype(np.uint32) << 16).view(np.float32).reshape(entry["shape"])


def permute_for_rope(w: np.ndarray, n_head: int) -> np.ndarray:
    """HF stores each head's rotary halves as [first half | second half]; llama.cpp interleaves
    them pairwise (the original Meta layout). Same as LlamaModel.permute in convert_hf_to_gguf."""
    return (
        w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
        .swapaxes(1, 2)
        .reshape(w.shape)
    )


def unpermute_for_rope(w: np.ndarray, n_head: int) -> np.ndarray:
    """The inverse of `permute_for_rope`: back to Hugging Face's layout."""
    return (
        w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:])
        .swapaxes(1, 2)
        .reshape(w.shape)
    )


def llama3_rope_factors(shape: Shape) -> np.ndarray:
    """Llama 3.1's frequency-dependent RoPE scaling, as llama.cpp reads it (rope_freqs)."""
    rope, dim = shape.rope, shape.head_dim
    factor = rope.get("factor", 8.0)
    low, high = rope.get("low_freq_factor", 1.0), rope.get("high_freq_factor", 4.0)
    old_context = rope.get("original_max_position_embeddings", 8192)
    freqs = 1.0 / (rope["rope_theta"] ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    factors = []
    for freq in freqs:
        wavelen = 2 * math.pi / freq
        if wavelen < old_context / high:
            factors.append(1.0)
        elif wavelen > old_context / low:
            factors.append(factor)
        else:
            smooth = (old_context / wavelen - low) / (high - low)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(factors, dtype=np.float32)
