"""SentencePiece-style vocabularies (Llama 2, Mistral, Gemma …) for the GGUF export.

A Hugging Face folder keeps such a tokenizer as `tokenizer.json`: BPE with byte fallback over
text whose spaces became "▁" (a Metaspace pre-tokenizer, or a Replace normalizer). transformers
writes it from the original `tokenizer.model`, which a fine-tune's folder no longer has, so the
vocabulary is read from `tokenizer.json` alone. llama.cpp runs these as its "llama" (SPM)
vocabulary (src/llama-vocab.cpp, llm_tokenizer_spm): it merges the adjacent pair whose joined
text is a token of the highest score. A token's score here is therefore minus the rank of the
first merge that makes it: the pair HF's BPE merges first is the pair llama.cpp merges first.
Token types, the padding rows' and added tokens' scores follow llama.cpp's converter
(`_create_vocab_sentencepiece` in convert_hf_to_gguf.py).
"""

from __future__ import annotations

import re
from typing import Any

import gguf
from tokenizers import AddedToken, Tokenizer, models, normalizers

SPACE = "▁"
BYTE_TOKEN = re.compile(r"<0x[0-9A-F]{2}>")
PADDING_SCORE = -10000.0  # ids the tokenizer never produces (llama.cpp's converter)
ADDED_SCORE = -1000.0
_REPLACE_SPACE = {"type": "Replace", "pattern": {"String": " "}, "content": SPACE}
_PREPEND_SPACE = {"type": "Prepend", "prepend": SPACE}
# Gemma's tokenizer in transformers 5: a split at spaces that the normalizer already replaced.
_SPLIT_AT_SPACE = {
    "type": "Split",
    "pattern": {"String": " "},
    "behavior": "MergedWithPrevious",
    "invert": False,
}


def space_prefix(spec: dict[str, Any]) -> bool | None:
    """For a SentencePiece-style tokenizer whether a space is put before the text (llama.cpp's
    `tokenizer.ggml.add_space_prefix`); None for any other tokenizer."""
    model = spec.get("model") or {}
    if model.get("type") != "BPE" or not model.get("byte_fallback") or model.get("ignore_merges"):
        return None
    normalizer, pre = spec.get("normalizer"), spec.get("pre_tokenizer")
    if normalizer is None and isinstance(pre, dict) and pre.get("type") == "Metaspace":
        if pre.get("replacement") != SPACE or pre.get("split", True):
            return None
        return {"first": True, "always": True, "never": False}.get(pre.get("prepend_scheme"))
    if pre not in (None, _SPLIT_AT_SPACE) or normalizer is None:
        return None
    steps = normalizer.get("normalizers") if normalizer.get("type") == "Sequence" else [normalizer]
    if steps == [_PREPEND_SPACE, _REPLACE_SPACE]:  # Llama 2's and Mistral's (legacy) layout
        return True
    if steps == [_REPLACE_SPACE]:  # Gemma's: no space before the text
        return False
    return None


def spm_vocabulary(
    spec: dict[str, Any], vocab_size: int, unknown: str | None
) -> tuple[list[str], list[float], list[int]]:
    """Tokens, scores and token types for ids 0 … vocab_size-1; `unknown` is the tokenizer's
    unknown token (transformers 5 names it in tokenizer_config.json, not in the BPE model)."""
    model = spec["model"]
    unknown = model.get("unk_token") or unknown
    by_id = {i: tok for tok, i in model["vocab"].items()}
    added = {t["id"]: t for t in spec.get("added_tokens", [])}
    rank: dict[str, int] = {}
    for r, merge in enumerate(model["merges"]):
        left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
        rank.setdefault(left + right, r)
    lowest = -float(len(rank) + 1)  # a token no merge makes: HF never forms it from parts
    tokens, scores, types = [], [], []
    for i in range(vocab_size):
        text = by_id.get(i, added.get(i, {}).get("content"))
        if unknown is not None and text == unknown:
            tokens.append(unknown)
            scores.append(0.0)
            types.append(gguf.TokenType.UNKNOWN)
        elif text is not None and BYTE_TOKEN.fullmatch(text):
            # A byte token is one even where it was added as a special token (as 🤗 tokenizers'
            # trainer adds them): byte fallback needs it, as in llama.cpp's LlamaHfVocab.
            tokens.append(text)
            scores.append(0.0)
            types.append(gguf.TokenType.BYTE)
        elif i in added:
            special = added[i].get("special")
            content = added[i]["content"]
            tokens.append(content if special else content.replace(SPACE, " "))
            scores.append(ADDED_SCORE)
            types.append(gguf.TokenType.CONTROL if special else gguf.TokenType.USER_DEFINED)
        elif i not in by_id:
            tokens.append(f"[PAD{i}]")
            scores.append(PADDING_SCORE)
            types.append(gguf.TokenType.UNUSED)
        else:
            tokens.append(text)
            scores.append(_score(text, rank, lowest))
            types.append(gguf.TokenType.NORMAL)
    return tokens, scores, [int(t) for t in types]


def _score(token: str, rank: dict[str, int], lowest: float) -> float:
    """Characters are never the result of a merge (llama.cpp starts from characters)."""
    if len(token) == 1:
        return 0.0
    return -float(rank[token] + 1) if token in rank else lowest


def spm_tokenizer(
    tokens: list[str], scores: list[float], types: list[int], add_space_prefix: bool
) -> Tokenizer:
    """A `tokenizers` BPE that tokenises as llama.cpp's SPM vocabulary of these tokens does:
    every pair of tokens that joins into a token is a merge, ranked by the joined token's score;
    characters without a token fall back to bytes."""
    normal = {gguf.TokenType.NORMAL, gguf.TokenType.UNKNOWN, gguf.TokenType.BYTE}
    vocab = {tok: i for i, tok in enumerate(tokens)}
    merges = []
    order = sorted(range(len(tokens)), key=lambda i: (-scores[i], i))
    for i in order:
        token = tokens[i]
        if types[i] != gguf.TokenType.NORMAL or len(token) < 2:
            continue
        merges.extend(
            (token[:k], token[k:])
            for k in range(1, len(token))
            if token[:k] in vocab and token[k:] in vocab
        )
    kinds = list(zip(tokens, types, strict=True))
    unknown = next((t for t, k in kinds if k == gguf.TokenType.UNKNOWN), None)
    bpe = models.BPE(
        {t: i for t, i in vocab.items() if types[i] in normal},
        merges,
        unk_token=unknown,
        byte_fallback=True,
        fuse_unk=True,
    )
    tok = Tokenizer(bpe)
    # llama.cpp puts a space before every text, even one that starts with a space (as
    # SentencePiece does; transformers' Metaspace does not), then writes spaces as "▁".
    steps = [normalizers.Prepend(SPACE)] if add_space_prefix else []
    tok.normalizer = normalizers.Sequence([*steps, normalizers.Replace(" ", SPACE)])
    tok.add_special_tokens(
        [AddedToken(t, special=True) for t, k in kinds if k == gguf.TokenType.CONTROL]
    )
    tok.add_tokens([t for t, k in kinds if k == gguf.TokenType.USER_DEFINED])
    return tok
