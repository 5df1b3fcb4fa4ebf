"""Loss, perplexity and bits per byte on the held-out test split.

Bits per byte divide the summed negative log-likelihood by the UTF-8 bytes of the texts, which
makes models with different tokenizers comparable; perplexity alone is not.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from transformers import AutoTokenizer

from gemeingut.data.shards import iter_texts
from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.model.loading import load_causal_lm
from gemeingut.model.packing import token_stream

RESULTS_FILE = "results.json"


@torch.no_grad()
def evaluate_perplexity(
    model_dir: Path, dataset_dir: Path, out_dir: Path, batch_size: int, max_documents: int | None
) -> dict[str, Any]:
    """Score every token of the test split once (EOS between documents included)."""
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = load_causal_lm(model_dir)
    texts = list(iter_texts(dataset_dir, "test"))[:max_documents]
    if not texts:
        raise InputError(
            _("the test split of {dataset} is empty", dataset=str(dataset_dir)),
            _("raise data.test_fraction or add documents"),
        )
    results = score_texts(model, tokenizer, texts, batch_size)
    (out_dir / RESULTS_FILE).write_text(json.dumps(results, indent=2) + "\n")
    return results


@torch.no_grad()
def score_texts(model: Any, tokenizer: Any, texts: list[str], batch_size: int) -> dict[str, Any]:
    """The results of `texts` as the evaluation records them; `verify --rerun` calls this too,
    so the numbers it compares come from the same windows and batches."""
    stream = token_stream(tokenizer, texts)
    context = model.config.max_position_embeddings
    nll, predicted = _summed_nll(model, stream, context, batch_size)
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)
    loss = nll / predicted
    return {
        "split": "test",
        "documents": len(texts),
        "tokens": predicted,
        "bytes": n_bytes,
        "loss": loss,
        "perplexity": math.exp(loss),
        "bits_per_byte": nll / (math.log(2) * n_bytes),
        "context_length": context,
    }


def _summed_nll(
    model: torch.nn.Module, stream: torch.Tensor, context: int, batch_size: int
) -> tuple[float, int]:
    """Non-overlapping windows of `context` predictions; the last one may be shorter."""
    starts = list(range(0, len(stream) - 1, context))
    total, count = 0.0, 0
    for i in range(0, len(starts), batch_size):
        chunk = [stream[s : s + context + 1] for s in starts[i : i + batch_size]]
        for window in _same_length_groups(chunk):
            batch = torch.stack(window)
            logits = model(input_ids=batch[:, :-1]).logits
            targets = batch[:, 1:]
            total += F.cross_entropy(
                logits.reshape(-1, logits.size(-1)), targets.reshape(-1), reduction="sum"
            ).item()
            count += targets.numel()
    return total, count


def _same_length_groups(chunk: list[torch.Tensor]) -> list[list[torch.Tensor]]:
    groups: dict[int, list[torch.Tensor]] = {}
    for window in chunk:
        groups.setdefault(len(window), []).append(window)
    return list(groups.values())
