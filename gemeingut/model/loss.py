"""Next-token loss without the full logits tensor: the output projection and cross-entropy,
fused and computed in row chunks.

For a batch of N positions and a vocabulary of V, the plain way materialises N×V logits (for a
1B model at 16×2048 tokens and 32k vocabulary: 4 GB in fp32, several copies through softmax and
its backward). Here each chunk of rows computes its logits, its loss and, right away, its share
of the gradients (Liger-Kernel's fused linear cross-entropy, in plain torch), so only one chunk
of logits exists at a time and the softmax is read once. The FLOPs are the same three matmuls.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from transformers import LlamaForCausalLM

CHUNK_BYTES = {"cpu": 16 * 2**20, "cuda": 256 * 2**20}  # fp32 logits per chunk
FUSE_FROM = 2**22  # logits (rows × vocabulary) below this: the plain way has less overhead


class _LinearCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx: torch.autograd.function.FunctionCtx,
        hidden: torch.Tensor,
        weight: torch.Tensor,
        targets: torch.Tensor,
        compute_dtype: torch.dtype,
        chunk_rows: int,
    ) -> torch.Tensor:
        n = hidden.size(0)
        w = weight.to(compute_dtype)
        grad_hidden = torch.empty_like(hidden)
        weight_grad = ctx.needs_input_grad[1]  # a frozen head (LoRA) needs none
        grad_weight = torch.zeros(
            weight.shape if weight_grad else (0,), dtype=torch.float32, device=weight.device
        )
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        with torch.autocast(hidden.device.type, enabled=False):
            for start in range(0, n, chunk_rows):
                h = hidden[start : start + chunk_rows].to(compute_dtype)
                t = targets[start : start + chunk_rows]
                logits = (h @ w.t()).float()
                lse = torch.logsumexp(logits, dim=-1)
                total += (lse - logits.gather(1, t[:, None]).squeeze(1)).sum()
                grad_logits = logits.sub_(lse[:, None]).exp_()  # softmax, in place
                grad_logits[torch.arange(len(t), device=t.device), t] -= 1.0
                grad_logits = grad_logits.div_(n).to(compute_dtype)
                grad_hidden[start : start + chunk_rows] = grad_logits @ w
                if weight_grad:
                    grad_weight += (grad_logits.t() @ h).float()
        ctx.save_for_backward(grad_hidden, grad_weight.to(weight.dtype))
        return total / n

    @staticmethod
    def backward(  # type: ignore[override]
        ctx: torch.autograd.function.FunctionCtx, grad_loss: torch.Tensor
    ) -> tuple[torch.Tensor | None, ...]:
        grad_hidden, grad_weight = ctx.saved_tensors  # type: ignore[attr-defined]
        return grad_hidden * grad_loss, grad_weight * grad_loss, None, None, None


def linear_cross_entropy(
    hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """Mean cross-entropy of `hidden @ weight.T` against `targets` ([N, d], [V, d], [N]).

    Matmuls run in the autocast dtype when autocast is on, softmax always in fp32.
    """
    device = hidden.device.type
    dtype = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else hidden.dtype
    rows = max(1, CHUNK_BYTES.get(device, CHUNK_BYTES["cuda"]) // (4 * weight.size(0)))
    if torch.is_grad_enabled() and (hidden.requires_grad or weight.requires_grad):
        return _LinearCrossEntropy.apply(hidden, weight, targets, dtype, rows)
    total = torch.zeros((), dtype=torch.float32, device=hidden.device)
    w = weight.to(dtype)
    for start in range(0, hidden.size(0), rows):
        logits = (hidden[start : start + rows].to(dtype) @ w.t()).float()
        t = targets[start : start + rows]
        total += (torch.logsumexp(logits, -1) - logits.gather(1, t[:, None]).squeeze(1)).sum()
    return total / hidden.size(0)


class CausalLMLoss(nn.Module):
    """The model plus its mean next-token loss as one module, so that DDP and torch.compile see
    the whole step. `fused=False` goes through the model's own forward and full logits (FSDP
    needs that: its hooks sit on the model's forward)."""

    def __init__(self, lm: LlamaForCausalLM, fused: bool = True) -> None:
        super().__init__()
        self.lm = lm
        self.fused = fused

    def forward(self, input_ids: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if not self.fused or input_ids.numel() * self.lm.config.vocab_size < FUSE_FROM:
            logits = self.lm(input_ids=input_ids, use_cache=False).logits
            return F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten())
        hidden = self.lm.model(input_ids=input_ids, use_cache=False).last_hidden_state
        return linear_cross_entropy(hidden.flatten(0, 1), self.lm.lm_head.weight, targets.flatten())


# Architectures whose logits are exactly `lm_head(model(...))`: no soft-capping or scaling, so
# the fused loss computes the same thing as their own forward.
PLAIN_HEAD_TYPES = frozenset({"llama", "mistral", "qwen2", "qwen3", "olmo", "olmo2"})


class AnswerLoss(nn.Module):
    """Summed next-token loss over the trained targets only (targets of -100 are ignored), for
    fine-tuning any causal LM. Returns the sum, so micro-batches of different numbers of
    answer tokens can be averaged per token over the whole step.

    Only the rows of trained targets go through the output projection on the fused path: in
    chat data most positions are prompt, whose logits would be computed for nothing."""

    def __init__(self, lm: nn.Module) -> None:
        super().__init__()
        self.lm = lm
        self.fused = lm.config.model_type in PLAIN_HEAD_TYPES

    def forward(self, input_ids: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        trained = targets != -100
        if not self.fused:
            logits = self.lm(input_ids=input_ids, use_cache=False).logits
            return F.cross_entropy(
                logits.flatten(0, 1).float(), targets.flatten(), ignore_index=-100, reduction="sum"
            )
        hidden = self.lm.model(input_ids=input_ids, use_cache=False).last_hidden_state
        count = trained.sum()
        if int(count) == 0:  # keeps the graph, head included: every micro-batch calls
            # backward, and DDP expects a gradient for every trained parameter
            head = self.lm.get_output_embeddings().weight
            return (hidden.sum() + head.sum()) * 0.0
        mean = linear_cross_entropy(hidden[trained], self.lm.lm_head.weight, targets[trained])
        return mean * count
