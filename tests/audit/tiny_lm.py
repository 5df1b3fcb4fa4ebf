"""Tiny causal LMs that the audit tests train in seconds, to give suites something to find.

A 2-layer Llama (d=48) with our byte-level BPE tokenizer, trained with AdamW on whole texts
(each prefixed with BOS, as the audit scores them). Deterministic: seeded, one thread.
"""

from __future__ import annotations

import random
from pathlib import Path

import torch
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

from gemeingut.model.tokenizer import EOS, IM_END, train_tokenizer


def train_tiny_lm(
    texts: list[str],
    out: Path,
    steps: int = 300,
    vocab_size: int = 500,
    batch_size: int = 16,
    learning_rate: float = 1e-2,
    seed: int = 0,
    tokenizer_texts: list[str] | None = None,
    context: int = 256,
) -> Path:
    """Train on `texts` (sampled with replacement) and save a Hugging Face folder at `out`."""
    tokenizer = train_tokenizer(tokenizer_texts or texts, out, vocab_size=vocab_size)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=48,
        intermediate_size=96,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=context,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = LlamaForCausalLM(config)
    encoded = [
        [
            tokenizer.bos_token_id,
            *tokenizer(t, add_special_tokens=False)["input_ids"],
            tokenizer.eos_token_id,
        ][:context]
        for t in texts
    ]
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    model.train()
    for _ in range(steps):
        batch = [encoded[rng.randrange(len(encoded))] for _ in range(batch_size)]
        width = max(map(len, batch))
        ids = torch.tensor([b + [tokenizer.pad_token_id] * (width - len(b)) for b in batch])
        labels = torch.tensor([b + [-100] * (width - len(b)) for b in batch])
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


def chat_text(tokenizer_dir: Path | None, system: str | None, user: str, answer: str) -> str:
    """A ChatML conversation as the model is trained on it (our tokenizers' template)."""
    turns = [("system", system)] if system else []
    turns += [("user", user), ("assistant", answer)]
    return "".join(f"<|im_start|>{role}\n{content}<|im_end|>\n" for role, content in turns)
