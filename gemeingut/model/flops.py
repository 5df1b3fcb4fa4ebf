"""FLOPs of a training step, the device's measured peak, and model FLOPs utilisation (MFU).

Model FLOPs per token follow PaLM (Chowdhery et al. 2022, appendix B) and nanoGPT:
6·N for the weight matmuls (forward 2·N, backward 4·N; N counts the tied embedding once, as
the output projection) plus 12·L·d·T for attention scores and values at context T (the full
T×T square, as is conventional). The counted FLOPs come from `torch.utils.flop_counter` over
one forward and backward pass of a copy of the model on the meta device (no memory, no time).

The peak is *measured*, not taken from a datasheet: the best of several large square matmuls
(CPU: fp32, or bf16 when training in bf16, n = 2048, with the run's thread count; CUDA: bf16 or
fp32, n = 8192), timed in the training process itself just before training starts.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode
from transformers import LlamaConfig, LlamaForCausalLM

from gemeingut.i18n import Message, _, plural, text


def model_flops_per_token(config: LlamaConfig, parameters: int, seq_len: int) -> int:
    """6·N + 12·L·d·T (untied input embeddings are a lookup: not counted in N)."""
    matmul_params = parameters
    if not config.tie_word_embeddings:
        matmul_params -= config.vocab_size * config.hidden_size
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    attention = 12 * config.num_hidden_layers * config.num_attention_heads * head_dim * seq_len
    return 6 * matmul_params + attention


def counted_flops_per_token(config: LlamaConfig, seq_len: int, batch_size: int = 1) -> int:
    """FLOPs that torch's counter sees in one forward + backward pass, per token."""
    with torch.device("meta"):
        model = LlamaForCausalLM(config)
        ids = torch.zeros(batch_size, seq_len, dtype=torch.long)
    counter = FlopCounterMode(display=False)
    with counter:
        logits = model(input_ids=ids).logits
        logits.float().sum().backward()
    return counter.get_total_flops() // (batch_size * seq_len)


@dataclass(frozen=True)
class Peak:
    flops_per_s: float
    method: str


def measured_peak(device: torch.device, dtype: torch.dtype) -> Peak:
    """Best FLOP/s of a large square matmul on `device` in `dtype`, measured now (cached per
    process, device, dtype and thread count)."""
    return _measured_peak(device.type, device.index, dtype, torch.get_num_threads())


@functools.cache
def _measured_peak(kind: str, index: int | None, dtype: torch.dtype, threads: int) -> Peak:
    device = torch.device(kind, index) if index is not None else torch.device(kind)
    n = 8192 if kind == "cuda" else 2048
    generator = torch.Generator(device="cpu").manual_seed(0)
    a = torch.randn(n, n, generator=generator).to(device=device, dtype=dtype)
    b = torch.randn(n, n, generator=generator).to(device=device, dtype=dtype)
    sync = torch.cuda.synchronize if kind == "cuda" else (lambda: None)
    for _round in range(3 if kind == "cuda" else 1):  # warm up kernels and caches
        torch.mm(a, b)
    sync()
    best, spent, reps = float("inf"), 0.0, 0
    while reps < 3 or (spent < 0.5 and reps < 20):
        start = time.perf_counter()
        torch.mm(a, b)
        sync()
        elapsed = time.perf_counter() - start
        best, spent, reps = min(best, elapsed), spent + elapsed, reps + 1
    name = str(dtype).removeprefix("torch.")
    method = (
        f"best of {reps} torch.mm of two {n}x{n} {name} matrices on {kind}"
        + (f" with {text(_threads(threads), 'en')}" if kind == "cpu" else "")
        + ", timed in the training process"
    )
    return Peak(2 * n**3 / best, method)


def _threads(count: int) -> Message:
    """The threads of a measurement in their number ("1 thread"): the record is English."""
    return plural(count, _("{count} thread", count=count), _("{count} threads", count=count))


def mfu(flops_per_token: int, tokens_per_s: float, peak: Peak, devices: int = 1) -> float:
    """Model FLOPs utilisation: achieved model FLOP/s over the peak of all devices."""
    return flops_per_token * tokens_per_s / (peak.flops_per_s * devices)
