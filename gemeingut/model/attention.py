"""Causal attention as two batched matmuls, for training short sequences in bf16 on a CPU.

PyTorch's CPU flash attention (what `sdpa` runs there) is fast in fp32, but its bf16 backward
is several times slower than its forward: in a bf16 training step of the `small` preset at 128
tokens it took 28 % of the time. For short sequences the plain way (scores = Q·Kᵀ, softmax in
fp32, probabilities · V) runs as matmuls at the CPU's bf16 rate and makes whole training steps
1.2× faster (`small` and `demo` presets, 64 and 128 tokens; 1.1× at 192). The scores cost
B·H·T² memory and the masked half is computed for nothing, so above 192 tokens, and in fp32,
flash attention is as fast or faster and is used (see docs/benchmarks.md).

Grouped-query attention needs no copies of K and V: the query heads that share a key/value head
are laid out as one longer sequence against it; the softmax runs in fp32. Only models that run
SDPA are switched, and any call this path does not cover (a padding mask, a cache, dropout,
soft-capping or sinks, fp32, a GPU, long sequences) goes to transformers' own SDPA function, so
the choice changes how attention is computed, not what.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

NAME = "gemeingut_matmul"  # registered with transformers; never saved in a model's config
MAX_MATMUL_LENGTH = 192  # key length up to which the matmul path is faster (bf16, CPU)


def matmul_attention(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """transformers' attention signature: query [B, H, T, D], key/value [B, Hkv, T, D];
    returns [B, T, H, D]."""
    causal = kwargs.get("is_causal")
    causal = getattr(module, "is_causal", True) if causal is None else causal
    if not (causal and _matmul_fits(query, key, attention_mask, dropout, kwargs)):
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
    batch, heads, length, dim = query.shape
    kv_heads = key.shape[1]
    group = heads // kv_heads
    # Scaled before the matmul: under autocast the query is still fp32 here (RoPE upcasts it),
    # so the scaling costs no rounding, and the softmax reads bf16 scores and runs in fp32.
    scale = dim**-0.5 if scaling is None else scaling
    grouped = (query * scale).reshape(batch, kv_heads, group * length, dim)  # head h: h//group
    scores = torch.matmul(grouped, key.transpose(-1, -2))
    future = torch.ones(length, length, dtype=torch.bool, device=query.device).triu_(1)
    scores = scores.view(batch, kv_heads, group, length, length).masked_fill(future, -torch.inf)
    probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(value.dtype)
    out = torch.matmul(probs.view(batch, kv_heads, group * length, length), value)
    return out.view(batch, heads, length, dim).transpose(1, 2), None


def _matmul_fits(
    query: torch.Tensor,
    key: torch.Tensor,
    mask: torch.Tensor | None,
    dropout: float,
    extras: dict[str, Any],
) -> bool:
    """Plain causal self-attention over a whole short sequence (training), in bf16 on a CPU;
    soft-capping, attention sinks or position biases are SDPA's to refuse or compute."""
    return (
        query.device.type == "cpu"
        and _compute_dtype(query) == torch.bfloat16
        and mask is None
        and dropout == 0.0
        and query.shape[2] == key.shape[2] <= MAX_MATMUL_LENGTH
        and query.shape[1] % key.shape[1] == 0
        and all(extras.get(name) is None for name in ("softcap", "s_aux", "position_bias"))
    )


def _compute_dtype(query: torch.Tensor) -> torch.dtype:
    """The matmuls' dtype: under autocast the query is fp32 (RoPE upcasts it), its matmuls bf16."""
    device = query.device.type
    return torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else query.dtype


def use_for_training(model: nn.Module, device: torch.device) -> None:
    """Train `model` with the matmul path on a CPU where it runs SDPA; a model that runs another
    implementation (eager for soft-capping, say) keeps it. The name lives on the loaded config
    only: `save_pretrained` drops it."""
    if device.type != "cpu" or model.config._attn_implementation != "sdpa":
        return
    AttentionInterface.register(NAME, matmul_attention)
    AttentionMaskInterface.register(NAME, sdpa_mask)  # no mask at all for plain causal input
    model.set_attn_implementation(NAME)
