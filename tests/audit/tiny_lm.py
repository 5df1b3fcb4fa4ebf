"""Tiny causal LMs that the audit tests train in seconds, to give suites something to find.

A 2-layer Llama (d=48) with our byte-level BPE tokenizer, trained with AdamW on whole texts
(each prefixed with BOS, as the audit scores them). Deterministic: seeded, one thread. And
untrained ones (`random_model`), which can prefer nothing: what a test of bias must not flag
more often than its level allows (also used by `bench/bias_calibration.py`).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoModelForCausalLM,
    GenerationConfig,
    LlamaConfig,
    LlamaForCausalLM,
    PretrainedConfig,
    Qwen2Config,
)

from gemeingut.model.tokenizer import EOS, IM_END, train_tokenizer


def train_tiny_lm(
    texts: list[str | tuple[str, str]],
    out: Path,
    steps: int = 300,
    vocab_size: int = 500,
    batch_size: int = 16,
    learning_rate: float = 1e-2,
    seed: int = 0,
    tokenizer_texts: list[str] | None = None,
    context: int = 256,
) -> Path:
    """Train on `texts` (sampled with replacement) and save a Hugging Face folder at `out`.

    A (prompt, answer) pair is trained on its answer only, as chat fine-tuning does."""
    plain = [t if isinstance(t, str) else t[0] + t[1] for t in texts]
    tokenizer = train_tokenizer(tokenizer_texts or plain, out, vocab_size=vocab_size)
    config = _config(
        "llama", tokenizer, hidden_size=48, intermediate_size=96, num_key_value_heads=4,
        max_position_embeddings=context,
    )  # fmt: skip
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = LlamaForCausalLM(config)
    encoded = [_encode(tokenizer, t, context) for t in texts]
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    model.train()
    for _ in range(steps):
        batch = [encoded[rng.randrange(len(encoded))] for _ in range(batch_size)]
        width = max(len(ids) for ids, _ in batch)
        pad = tokenizer.pad_token_id
        ids = torch.tensor([b + [pad] * (width - len(b)) for b, _ in batch])
        labels = torch.tensor([b + [-100] * (width - len(b)) for _, b in batch])
        loss = model(input_ids=ids, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    eos_ids = [tokenizer.convert_tokens_to_ids(EOS), tokenizer.convert_tokens_to_ids(IM_END)]
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=eos_ids,
        pad_token_id=tokenizer.pad_token_id,
    )
    model.save_pretrained(out)
    return out


def random_model(
    out: Path, architecture: str, seed: int, texts: list[str], vocab_size: int = 300
) -> Path:
    """A 2-layer Llama or Qwen2 with random weights and a byte-level BPE of `vocab_size` tokens
    trained on `texts` (a suite's sentences, so the group words are split into few, frequent
    tokens)."""
    tokenizer = train_tokenizer(texts, out, vocab_size=vocab_size)
    config = _config(
        architecture, tokenizer, hidden_size=64, intermediate_size=128, num_key_value_heads=2,
        max_position_embeddings=512, tie_word_embeddings=True,
    )  # fmt: skip
    torch.manual_seed(seed)
    AutoModelForCausalLM.from_config(config).save_pretrained(out)
    return out


def _config(architecture: str, tokenizer: Any, **shape: int | bool) -> PretrainedConfig:
    """A 2-layer config of `architecture` ("llama", "qwen2") of `shape`, with the vocabulary
    and special tokens of `tokenizer`."""
    return {"llama": LlamaConfig, "qwen2": Qwen2Config}[architecture](
        vocab_size=len(tokenizer),
        num_hidden_layers=2,
        num_attention_heads=4,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **shape,
    )


def _encode(
    tokenizer: object, text: str | tuple[str, str], context: int
) -> tuple[list[int], list[int]]:
    """Input ids (BOS, text, EOS) and labels (-100 over a pair's prompt)."""
    encode = tokenizer  # type: ignore[assignment]
    if isinstance(text, str):
        prompt: list[int] = []
        answer = encode(text, add_special_tokens=False)["input_ids"]
    else:
        prompt = encode(text[0], add_special_tokens=False)["input_ids"]
        answer = encode(text[1], add_special_tokens=False)["input_ids"]
    ids = [encode.bos_token_id, *prompt, *answer, encode.eos_token_id][-context:]
    masked = len(ids) - len(answer) - 1
    return ids, [-100] * masked + ids[masked:]


def chat_pair(messages: list[dict[str, str]], answer: str) -> tuple[str, str]:
    """A ChatML conversation (our tokenizers' template) and its answer, to train on."""
    prompt = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return prompt + "<|im_start|>assistant\n", answer + "<|im_end|>"
