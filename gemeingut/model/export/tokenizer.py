"""The tokenizer as llama.cpp runs it: which vocabulary and pre-tokenizer, and its GGUF keys.

llama.cpp's own converter recognises a BPE pre-tokenizer only by hashing the ids of a probe
string, and refuses every tokenizer it has not seen, ours included. Here the pre-tokenizer is
named by what it does instead: its split regex and merge handling, compared with the splits
llama.cpp implements. SentencePiece-style vocabularies are made in `gemeingut.model.export.spm`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gguf
from gguf import GGUFValueType as T
from tokenizers import Tokenizer

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.model.export.metadata import folder_json
from gemeingut.model.export.spm import space_prefix, spm_vocabulary

# tokenizers' ByteLevel(use_regex=True) hard-codes GPT-2's split,
#     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
# which llama.cpp runs for tokenizer.ggml.pre = "gpt-2" (LLAMA_VOCAB_PRE_TYPE_GPT2 in
# src/llama-vocab.cpp, unicode_regex_split_custom_gpt2 in src/unicode.cpp).
# Llama 3's split (a Split pre-tokenizer before ByteLevel(use_regex=False)): "llama-bpe".
LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
# Qwen2 splits digits one by one (llama.cpp: "qwen2").
QWEN2_SPLIT = LLAMA3_SPLIT.replace(r"\p{N}{1,3}", r"\p{N}")
# A Split regex with the tokenizer's ignore_merges -> llama.cpp's pre-tokenizer of that split and
# merge handling (src/llama-vocab.cpp: ignore_merges is set for llama-bpe, not for dbrx or qwen2;
# dbrx, used by OLMo 2's tokenizer, runs Llama 3's regex).
SPLIT_PRE = {
    (LLAMA3_SPLIT, True): "llama-bpe",
    (LLAMA3_SPLIT, False): "dbrx",
    (QWEN2_SPLIT, False): "qwen2",
}
PRE_SPLIT = {pre: split for (split, _), pre in SPLIT_PRE.items()}
PRE_IGNORES_MERGES = {"gpt-2": False} | {pre: ignore for (_, ignore), pre in SPLIT_PRE.items()}
EOT_TOKENS = ("<|im_end|>", "<|eot_id|>")


def read_tokenizer(model_dir: Path) -> dict[str, Any]:
    """The HF tokenizer and how llama.cpp runs it: a byte-level BPE ("gpt2" with its
    pre-tokenizer) or a SentencePiece-style BPE ("llama", with or without a space prefix)."""
    file = model_dir / "tokenizer.json"
    if not file.is_file():
        raise InputError(
            _("{model}: no tokenizer.json", model=str(model_dir)),
            _("GGUF export needs a fast BPE tokenizer"),
        )
    spec = json.loads(file.read_text(encoding="utf-8"))
    model = spec.get("model") or {}
    if model.get("type") != "BPE":
        raise InputError(
            _(
                "{model}: tokenizer model {kind!r} is not BPE",
                model=str(model_dir),
                kind=model.get("type"),
            ),
            _("only byte-level and SentencePiece-style BPE tokenizers are exported"),
        )
    hf = Tokenizer.from_file(str(file))
    prefix = space_prefix(spec)
    if prefix is not None:
        kind = {"kind": "llama", "pre": "default", "prefix": prefix}
        return {"spec": spec, **kind, "hf": hf, "file": file}
    pre = _llama_cpp_pre(spec.get("pre_tokenizer"), bool(model.get("ignore_merges")))
    # Qwen2's NFC normalizer is a no-op on NFC text; llama.cpp leaves it out too.
    normalizer = spec.get("normalizer")
    if pre is None or normalizer not in (None, {"type": "NFC"}):
        raise InputError(
            _(
                "{model}: the tokenizer's pre-tokenizer, merge handling or normalizer is not one "
                "llama.cpp runs (GPT-2, Llama 3, DBRX/OLMo 2 or Qwen2 byte-level BPE, or "
                "SentencePiece-style BPE with byte fallback as in Llama 2, Mistral and Gemma)",
                model=str(model_dir),
            ),
            _(
                "convert it with llama.cpp's convert_hf_to_gguf.py, or train a tokenizer with "
                "`gemeingut tokenizer train`"
            ),
        )
    return {"spec": spec, "kind": "gpt2", "pre": pre, "hf": hf, "file": file}


def _llama_cpp_pre(pre: dict[str, Any] | None, ignore_merges: bool) -> str | None:
    """The tokenizer.ggml.pre whose split and merge handling equal this HF tokenizer's, or None."""
    if not pre:
        return None
    if pre.get("type") == "ByteLevel":
        plain = pre.get("use_regex", True) and not pre.get("add_prefix_space", False)
        return "gpt-2" if plain else None
    steps = pre.get("pretokenizers") or []
    if pre.get("type") == "Sequence" and len(steps) == 2:
        split, byte_level = steps
        if (
            split.get("type") == "Split"
            and split.get("behavior") == "Isolated"
            and not split.get("invert")
            and byte_level.get("type") == "ByteLevel"
            and not byte_level.get("use_regex", True)
            and not byte_level.get("add_prefix_space", False)
        ):
            regex = split.get("pattern", {}).get("Regex")
            return SPLIT_PRE.get((regex, ignore_merges))
    return None


def tokenizer_metadata(
    model_dir: Path, tokenizer: dict[str, Any], vocab_size: int
) -> dict[str, tuple[Any, T]]:
    spec, hf = tokenizer["spec"], tokenizer["hf"]
    by_id = {i: tok for tok, i in spec["model"]["vocab"].items()}
    added = {t["id"]: t for t in spec.get("added_tokens", [])}
    by_id.update({i: t["content"] for i, t in added.items()})
    if max(by_id) >= vocab_size:
        raise InputError(
            _(
                "{model}: tokenizer has id {id} but config vocab_size is {vocab_size}",
                model=str(model_dir),
                id=str(max(by_id)),
                vocab_size=str(vocab_size),
            ),
            _("the tokenizer does not belong to this model"),
        )
    keys = gguf.Keys.Tokenizer
    meta: dict[str, tuple[Any, T]] = {
        keys.MODEL: (tokenizer["kind"], T.STRING),
        keys.PRE: (tokenizer["pre"], T.STRING),
    }
    config = folder_json(model_dir / "tokenizer_config.json")
    if tokenizer["kind"] == "llama":
        tokens, scores, types = spm_vocabulary(spec, vocab_size, _token(config, "unk"))
        meta[keys.LIST] = (tokens, T.STRING)
        meta[keys.SCORES] = (scores, T.FLOAT32)
        meta[keys.TOKEN_TYPE] = (types, T.INT32)
        meta[keys.ADD_PREFIX] = (tokenizer["prefix"], T.BOOL)
    else:
        tokens, types = _bpe_vocabulary(by_id, added, vocab_size)
        meta[keys.LIST] = (tokens, T.STRING)
        meta[keys.TOKEN_TYPE] = (types, T.INT32)
        meta[keys.MERGES] = (
            [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]],
            T.STRING,
        )
    model_config = folder_json(model_dir / "config.json")
    ids = {}
    roles = (("bos", keys.BOS_ID), ("eos", keys.EOS_ID), ("pad", keys.PAD_ID))
    for role, key in (*roles, ("unk", keys.UNK_ID)):
        token = _token(config, role)
        found = hf.token_to_id(token) if token is not None else None
        if found is None:
            found = model_config.get(f"{role}_token_id")
            found = found[0] if isinstance(found, list) and found else found
        if isinstance(found, int):
            ids[role] = found
            meta[key] = (found, T.UINT32)
    eot = next((hf.token_to_id(t) for t in EOT_TOKENS if hf.token_to_id(t) is not None), None)
    if eot is not None:
        meta[keys.EOT_ID] = (eot, T.UINT32)
    # Write what the HF tokenizer does; llama.cpp's defaults differ between pre-tokenizers.
    bare = hf.encode("a", add_special_tokens=False).ids
    full = hf.encode("a", add_special_tokens=True).ids
    add_bos = len(full) > len(bare) and full[0] == ids.get("bos")
    add_eos = len(full) > len(bare) and full[-1] == ids.get("eos")
    meta[keys.ADD_BOS] = (add_bos, T.BOOL)
    meta[keys.ADD_EOS] = (add_eos, T.BOOL)
    template = config.get("chat_template")
    jinja = model_dir / "chat_template.jinja"  # transformers 5 keeps the template beside
    if not isinstance(template, str) and jinja.is_file():
        template = jinja.read_text(encoding="utf-8")
    if isinstance(template, str):
        meta[keys.CHAT_TEMPLATE] = (template, T.STRING)
    return meta


def _token(config: dict[str, Any], role: str) -> str | None:
    """The text of the `role` token (bos, eos, pad, unk) that tokenizer_config.json names."""
    token = config.get(f"{role}_token")
    token = token.get("content") if isinstance(token, dict) else token
    return token if isinstance(token, str) else None


def _bpe_vocabulary(
    by_id: dict[int, str], added: dict[int, dict[str, Any]], vocab_size: int
) -> tuple[list[str], list[int]]:
    tokens, types = [], []
    for i in range(vocab_size):  # ids the tokenizer never produces are padding rows
        tokens.append(by_id.get(i, f"[PAD{i}]"))
        if i not in by_id:
            types.append(gguf.TokenType.UNUSED)
        elif i in added:
            special = added[i].get("special")
            types.append(gguf.TokenType.CONTROL if special else gguf.TokenType.USER_DEFINED)
        else:
            types.append(gguf.TokenType.NORMAL)
    return tokens, [int(t) for t in types]
