"""Write a Hugging Face model directory as a GGUF file that llama.cpp (and Ollama) load as it is.

Llama, Mistral, Qwen2, Gemma and OLMo2 checkpoints are mapped the way llama.cpp's own
convert_hf_to_gguf.py maps them (`ARCHITECTURES` says how each one differs).

We write GGUF ourselves with the `gguf` package instead of calling llama.cpp's converter: that
converter recognises a BPE pre-tokenizer only by hashing the ids of a probe string and refuses
tokenizers it has not seen, which includes every tokenizer we train. Our tokenizers use GPT-2's
ByteLevel split, which llama.cpp implements under the name "gpt-2"; Llama-3 style tokenizers
(Split regex + ByteLevel) map to "llama-bpe". Every export is read back and checked tensor by
tensor, key by key, and with a tokenisation probe before it is renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import torch
from gguf import GGUFValueType as T
from safetensors import safe_open
from tokenizers import Regex, Tokenizer, models, pre_tokenizers

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.json_records import read_object
from gemeingut.model.gguf_spm import space_prefix, spm_tokenizer, spm_vocabulary
from gemeingut.model.loading import FINETUNE_FILE
from gemeingut.recipe import is_hub_id

GGUF_FILE = "model.gguf"  # in a gguf artifact and in a release bundle's model/
DTYPES = {"f32": gguf.LlamaFileType.ALL_F32, "f16": gguf.LlamaFileType.MOSTLY_F16}
F16_MAX = 65504.0

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
PROBE = (
    "Grüße aus Köln: § 5 UrhG, 3,5 % mehr!\n\n  Straße\t42 — ok?  <|im_start|>user\nJa<|im_end|>"
)


class GGUFMismatch(RuntimeError):
    """The written file does not read back as intended: a bug in this exporter, not user input."""


@dataclass(frozen=True)
class Architecture:
    """How one Hugging Face architecture maps onto llama.cpp's (as convert_hf_to_gguf.py does)."""

    gguf_arch: gguf.MODEL_ARCH
    activations: tuple[str, ...]  # the hidden_act values llama.cpp's graph computes for it
    rope_interleaved: bool  # llama.cpp's "norm" RoPE wants q/k rows permuted; "neox" does not
    norm_offset: float = 0.0  # Gemma multiplies by (1 + w); llama.cpp stores 1 + w
    head_always_tied: bool = False  # Gemma's llama.cpp graph has no output.weight

    @property
    def name(self) -> str:
        return gguf.MODEL_ARCH_NAMES[self.gguf_arch]


ARCHITECTURES = {
    "LlamaForCausalLM": Architecture(gguf.MODEL_ARCH.LLAMA, ("silu",), rope_interleaved=True),
    "MistralForCausalLM": Architecture(gguf.MODEL_ARCH.LLAMA, ("silu",), rope_interleaved=True),
    "Qwen2ForCausalLM": Architecture(gguf.MODEL_ARCH.QWEN2, ("silu",), rope_interleaved=False),
    "GemmaForCausalLM": Architecture(
        gguf.MODEL_ARCH.GEMMA,
        ("gelu_pytorch_tanh",),
        rope_interleaved=False,
        norm_offset=1.0,
        head_always_tied=True,
    ),
    "Olmo2ForCausalLM": Architecture(gguf.MODEL_ARCH.OLMO2, ("silu",), rope_interleaved=False),
}
MODEL_TYPES = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM"} | {
    "qwen2": "Qwen2ForCausalLM",
    "gemma": "GemmaForCausalLM",
    "olmo2": "Olmo2ForCausalLM",
}


@dataclass
class Shape:
    """The hyper-parameters GGUF needs, read from config.json (transformers 4 or 5)."""

    arch: Architecture
    n_layers: int
    n_embd: int
    n_ff: int
    n_head: int
    n_kv: int
    head_dim: int
    context: int
    rms_eps: float
    vocab_size: int
    rope: dict[str, Any]
    tied: bool


@dataclass
class Planned:
    """One GGUF tensor: where it comes from and how it is stored."""

    name: str
    source: str | None  # HF tensor name; None for tensors we compute (rope_freqs)
    shape: tuple[int, ...]
    dtype: type[np.floating]
    permute_heads: int | None = None  # q/k: llama.cpp's RoPE row order, per this many heads
    offset: float = 0.0  # added to the source values (Gemma's norms)


def export_gguf(
    model_dir: Path,
    out_file: Path,
    dtype: str = "f16",
    name: str | None = None,
    licence: str | None = None,
) -> dict[str, Any]:
    """Write `model_dir` as `out_file` (GGUF), verify the file, and return a summary. `name`
    and `licence` go into `general.name` and `general.license` (else the folder's card's)."""
    if dtype not in DTYPES:
        raise InputError(
            _("unsupported GGUF dtype {dtype!r}", dtype=dtype),
            _("choose one of {choices}", choices=", ".join(DTYPES)),
        )
    if out_file.is_dir():
        raise InputError(
            _("{path} is a directory", path=str(out_file)), _("name the .gguf file to write")
        )
    shape = _read_shape(model_dir)
    weights = _weight_index(model_dir)
    # llama.cpp ties by absence: with no output.weight it reuses token_embd.
    shape.tied = shape.tied or "lm_head.weight" not in weights
    if shape.arch.head_always_tied and not shape.tied:
        raise InputError(
            _(
                "{model}: {arch} with an untied lm_head",
                model=str(model_dir),
                arch=shape.arch.name,
            ),
            _("llama.cpp's graph for this architecture always reuses the embeddings as the head"),
        )
    tokenizer = _read_tokenizer(model_dir)
    plan = _plan_tensors(shape, weights, dtype)
    metadata = {
        **_model_metadata(model_dir, shape, dtype, name, licence),
        **_tokenizer_metadata(model_dir, tokenizer, shape.vocab_size),
    }
    out_file.parent.mkdir(parents=True, exist_ok=True)
    partial = out_file.with_name(out_file.name + ".partial")
    try:
        _write(partial, metadata, plan, weights, shape)
        checked = _verify(partial, metadata, plan, weights, shape, tokenizer)
        digest = _sha256(partial)
        os.replace(partial, out_file)
    finally:
        partial.unlink(missing_ok=True)
    return {
        "path": str(out_file),
        "dtype": dtype,
        "tensors": len(plan),
        "parameters": checked,
        "bytes": out_file.stat().st_size,
        "sha256": digest,
        "vocab_size": shape.vocab_size,
        "tokenizer_pre": metadata[gguf.Keys.Tokenizer.PRE][0],
        "tied_embeddings": shape.tied,
        "name": metadata[gguf.Keys.General.NAME][0],
        "license": metadata.get(gguf.Keys.General.LICENSE, (None,))[0],
    }


def _read_shape(model_dir: Path) -> Shape:
    config_file = model_dir / "config.json"
    if not config_file.is_file():
        raise InputError(
            _("{model}: no config.json", model=str(model_dir)),
            _("pass a Hugging Face model directory (save_pretrained)"),
        )
    config = json.loads(config_file.read_text(encoding="utf-8"))
    archs = config.get("architectures") or [MODEL_TYPES.get(config.get("model_type"), "?")]
    if archs[0] not in ARCHITECTURES or MODEL_TYPES.get(config.get("model_type")) != archs[0]:
        found = archs[0] if archs[0] != "?" else config.get("model_type")
        raise InputError(
            _(
                "{model}: architecture {found!r} cannot be exported",
                model=str(model_dir),
                found=found,
            ),
            _(
                "supported: {architectures}; convert others with llama.cpp's convert_hf_to_gguf.py",
                architectures=", ".join(ARCHITECTURES),
            ),
        )
    arch = ARCHITECTURES[archs[0]]
    activation = config.get("hidden_activation") or config.get("hidden_act", arch.activations[0])
    if activation not in arch.activations:
        raise InputError(
            _("{model}: hidden_act {activation!r}", model=str(model_dir), activation=activation),
            _(
                "llama.cpp computes {arch} with {activations}",
                arch=arch.name,
                activations=", ".join(arch.activations),
            ),
        )
    if config.get("use_sliding_window") or "sliding_attention" in (config.get("layer_types") or ()):
        raise InputError(
            _("{model}: sliding-window attention in some layers", model=str(model_dir)),
            _("llama.cpp's graph for this architecture attends to the whole context"),
        )
    n_head = config["num_attention_heads"]
    # transformers 5 writes rope_parameters (with rope_theta inside); 4.x rope_theta+rope_scaling.
    rope = {"rope_theta": config.get("rope_theta", 10_000.0), **(config.get("rope_scaling") or {})}
    rope.update(config.get("rope_parameters") or {})
    rope["rope_type"] = rope.get("rope_type", rope.get("type")) or "default"
    if rope["rope_type"] not in ("default", "linear", "llama3"):
        raise InputError(
            _(
                "{model}: RoPE type {rope!r} is not supported by this exporter",
                model=str(model_dir),
                rope=rope["rope_type"],
            ),
            _("supported: default, linear, llama3; use llama.cpp's convert_hf_to_gguf.py"),
        )
    context = config.get("max_position_embeddings", 2048)
    if arch.gguf_arch == gguf.MODEL_ARCH.LLAMA and config.get("sliding_window"):
        # Mistral v0.1 attends to a window; llama.cpp's llama graph does not. Within the window
        # the two agree, so the window is the context the GGUF declares.
        context = min(context, config["sliding_window"])
    return Shape(
        arch=arch,
        n_layers=config["num_hidden_layers"],
        n_embd=config["hidden_size"],
        n_ff=config["intermediate_size"],
        n_head=n_head,
        n_kv=config.get("num_key_value_heads") or n_head,
        head_dim=config.get("head_dim") or config["hidden_size"] // n_head,
        context=context,
        rms_eps=config.get("rms_norm_eps", 1e-6),
        vocab_size=config["vocab_size"],
        rope=rope,
        tied=bool(config.get("tie_word_embeddings", False)),
    )


def _weight_index(model_dir: Path) -> dict[str, Path]:
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
        with safe_open(file, framework="pt") as f:
            index.update(dict.fromkeys(f.keys(), file))
    return index


def _plan_tensors(shape: Shape, weights: dict[str, Path], dtype: str) -> list[Planned]:
    names = gguf.get_tensor_name_map(shape.arch.gguf_arch, shape.n_layers)
    plan, unknown = [], []
    for hf_name in sorted(weights, key=_natural):
        if hf_name.endswith("rotary_emb.inv_freq") or (shape.tied and hf_name == "lm_head.weight"):
            continue  # recomputed by llama.cpp; a tied head is token_embd itself
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            unknown.append(hf_name)
            continue
        with safe_open(weights[hf_name], framework="pt") as f:
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


def _read_tokenizer(model_dir: Path) -> dict[str, Any]:
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


def _model_metadata(
    model_dir: Path, shape: Shape, dtype: str, name: str | None, licence: str | None
) -> dict[str, tuple[Any, T]]:
    k = gguf.Keys.LLM
    arch = shape.arch.name
    meta: dict[str, tuple[Any, T]] = {
        gguf.Keys.General.ARCHITECTURE: (arch, T.STRING),
        gguf.Keys.General.NAME: (model_dir.resolve().name, T.STRING),
        gguf.Keys.General.FILE_TYPE: (int(DTYPES[dtype]), T.UINT32),
        gguf.Keys.General.QUANTIZATION_VERSION: (gguf.GGML_QUANT_VERSION, T.UINT32),
        k.VOCAB_SIZE.format(arch=arch): (shape.vocab_size, T.UINT32),
        k.CONTEXT_LENGTH.format(arch=arch): (shape.context, T.UINT32),
        k.EMBEDDING_LENGTH.format(arch=arch): (shape.n_embd, T.UINT32),
        k.BLOCK_COUNT.format(arch=arch): (shape.n_layers, T.UINT32),
        k.FEED_FORWARD_LENGTH.format(arch=arch): (shape.n_ff, T.UINT32),
        gguf.Keys.Attention.HEAD_COUNT.format(arch=arch): (shape.n_head, T.UINT32),
        gguf.Keys.Attention.HEAD_COUNT_KV.format(arch=arch): (shape.n_kv, T.UINT32),
        gguf.Keys.Attention.KEY_LENGTH.format(arch=arch): (shape.head_dim, T.UINT32),
        gguf.Keys.Attention.VALUE_LENGTH.format(arch=arch): (shape.head_dim, T.UINT32),
        gguf.Keys.Attention.LAYERNORM_RMS_EPS.format(arch=arch): (shape.rms_eps, T.FLOAT32),
        gguf.Keys.Rope.DIMENSION_COUNT.format(arch=arch): (shape.head_dim, T.UINT32),
        gguf.Keys.Rope.FREQ_BASE.format(arch=arch): (float(shape.rope["rope_theta"]), T.FLOAT32),
    }
    if shape.rope["rope_type"] == "linear":
        meta[gguf.Keys.Rope.SCALING_TYPE.format(arch=arch)] = ("linear", T.STRING)
        meta[gguf.Keys.Rope.SCALING_FACTOR.format(arch=arch)] = (shape.rope["factor"], T.FLOAT32)
    return meta | _general_metadata(model_dir, name, licence)


def _general_metadata(
    model_dir: Path, name: str | None, licence: str | None
) -> dict[str, tuple[Any, T]]:
    """Name, licence and base models as llama.cpp's converter writes them (gguf-py's
    metadata.py): from the arguments, else the folder's card, else a fine-tune's record."""
    general = gguf.Keys.General
    card = _model_card(model_dir)
    base = _recorded_base(model_dir / FINETUNE_FILE)
    fine_tuned = f"{base['name']} (fine-tuned)" if base.get("name") else None
    named = name or card.get("model_name") or fine_tuned or model_dir.resolve().name
    meta: dict[str, tuple[Any, T]] = {general.NAME: (str(named), T.STRING)}
    terms = {general.LICENSE: licence}
    if licence is None and card.get("license"):
        given = card["license"]
        terms = {
            general.LICENSE: ",".join(given) if isinstance(given, list) else given,
            general.LICENSE_NAME: card.get("license_name"),
            general.LICENSE_LINK: card.get("license_link"),
        }
    elif licence is None:  # a fine-tune is bound by its base's terms
        terms = {general.LICENSE: base.get("license")}
    meta |= {key: (str(value), T.STRING) for key, value in terms.items() if value}
    models = _card_base_models(card.get("base_model")) or _recorded_base_model(base)
    if models:
        meta[general.BASE_MODEL_COUNT] = (len(models), T.UINT32)
    for index, model in enumerate(models):
        for field, value in model.items():
            key = f"general.base_model.{index}.{field}"
            meta[key] = (value, T.STRING)
    return meta


def _card_base_models(value: Any) -> list[dict[str, str]]:
    """The card's `base_model` (a Hub id, a URL or a list of them) as llama.cpp reads it."""
    ids = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    models = []
    for model_id in (str(v) for v in ids):
        if model_id.startswith(("http://", "https://", "ssh://")):
            hub = re.fullmatch(r"https?://huggingface\.co/([^/]+/[^/]+)", model_id)
            models.append({**(_hub_model(hub[1]) if hub else {}), "repo_url": model_id})
        else:
            models.append(_hub_model(model_id))
    return models


def _recorded_base(record: Path) -> dict[str, Any]:
    """A fine-tune's `base_model`, checked for what the export reads: a name needs a path."""
    base = _json(record).get("base_model") or {}
    if not isinstance(base, dict) or (base.get("name") and not isinstance(base.get("path"), str)):
        raise InputError(
            _(
                "{path}: base_model needs a name and a path (the base model's folder or Hub id)",
                path=str(record),
            ),
            _("restore the file from the fine-tuning run, or remove its base_model"),
        )
    return base


def _recorded_base_model(base: dict[str, Any]) -> list[dict[str, str]]:
    """The base a fine-tune's `finetune.json` records: its name, and where it is a Hub id (a
    folder of the Hub's cache, or a released record's reference) its organisation and URL."""
    if not base.get("name"):
        return []
    from gemeingut.model.finetune_state import base_reference

    reference = base_reference(base["path"]) if Path(base["path"]).is_absolute() else base["path"]
    return [_hub_model(reference) if is_hub_id(reference) else {"name": base["name"]}]


def _hub_model(model_id: str) -> dict[str, str]:
    """name, organization and repo_url of a Hub id, spelled as llama.cpp's converter does."""
    from gguf.metadata import Metadata

    name, org, *_ = Metadata.get_model_id_components(model_id)
    model = {"name": Metadata.id_to_title(name)} if name else {}
    if org:
        model["organization"] = Metadata.id_to_title(org)
        model["repo_url"] = f"https://huggingface.co/{org}/{name}"
    return model


def _model_card(model_dir: Path) -> dict[str, Any]:
    """YAML header of README.md, if there is one; the card is optional, so any failure is {}."""
    readme = model_dir / "README.md"
    if not readme.is_file():
        return {}
    from huggingface_hub import ModelCard

    try:
        return ModelCard.load(readme).data.to_dict()
    except Exception:
        return {}


def _tokenizer_metadata(
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
    config = _json(model_dir / "tokenizer_config.json")
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
    model_config = _json(model_dir / "config.json")
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


def _json(file: Path) -> dict[str, Any]:
    """A record of the model folder; every one the export reads is a JSON object."""
    return read_object(file, _("restore the file the model folder was written with")) or {}


def _write(
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
            writer.write_tensor_data(_gguf_array(item, weights, shape))
    finally:
        writer.close()


def _gguf_array(item: Planned, weights: dict[str, Path], shape: Shape) -> np.ndarray:
    data = _source_array(item, weights, shape)
    if item.permute_heads:
        data = permute_for_rope(data, item.permute_heads)
    if item.dtype == np.float16 and np.abs(data).max(initial=0.0) > F16_MAX:
        raise InputError(
            _("{tensor}: values beyond the F16 range", tensor=item.source),
            _("export with --dtype f32"),
        )
    return np.ascontiguousarray(data.astype(item.dtype))


def _source_array(item: Planned, weights: dict[str, Path], shape: Shape) -> np.ndarray:
    if item.source is None:
        return llama3_rope_factors(shape)
    with safe_open(weights[item.source], framework="pt") as f:  # torch reads bf16, numpy not
        return f.get_tensor(item.source).to(torch.float32).numpy() + np.float32(item.offset)


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


def _verify(
    path: Path,
    metadata: dict[str, tuple[Any, T]],
    plan: list[Planned],
    weights: dict[str, Path],
    shape: Shape,
    tokenizer: dict[str, Any],
) -> int:
    """Read the file back: every key, every tensor (q/k un-permuted) and a tokenisation probe.
    Returns the number of parameters checked."""
    reader = gguf.GGUFReader(path)
    for key, (value, vtype) in metadata.items():
        field = reader.fields.get(key)
        got = field.contents() if field is not None else None
        scalar = vtype == T.FLOAT32 and not isinstance(value, list)
        want = np.float32(value) if scalar else value  # scores: whole numbers, exact
        if got != want:
            raise GGUFMismatch(f"key {key} reads back as {str(got)[:80]!r}")
    tensors = {t.name: t for t in reader.tensors}
    if list(tensors) != [p.name for p in plan]:
        raise GGUFMismatch(f"tensors differ from the plan: {sorted(tensors)}")
    checked = 0
    for item in plan:
        stored = tensors[item.name]
        data = np.asarray(stored.data).reshape(item.shape)
        if data.dtype != item.dtype:
            raise GGUFMismatch(f"{item.name} is stored as {data.dtype}, not {item.dtype}")
        data = data.astype(np.float32)
        if item.permute_heads:
            data = unpermute_for_rope(data, item.permute_heads)
        source = _source_array(item, weights, shape)
        exact = item.dtype == np.float32
        if not (np.array_equal(data, source) if exact else _f16_close(data, source)):
            raise GGUFMismatch(f"{item.name} does not match {item.source}")
        checked += data.size
    _check_probe(tokenizer_from_gguf(reader), tokenizer)
    return checked


def _check_probe(from_gguf: Tokenizer, tokenizer: dict[str, Any]) -> None:
    """llama.cpp must split the probe into the tokens the HF tokenizer gives: a tokenizer whose
    merges its vocabulary cannot express would change every prompt the model sees."""
    got = from_gguf.encode(PROBE, add_special_tokens=False)
    want = tokenizer["hf"].encode(PROBE, add_special_tokens=False)
    if got.ids == want.ids:
        return
    shared = min(len(got.ids), len(want.ids))
    at = next((i for i in range(shared) if got.ids[i] != want.ids[i]), shared)
    raise InputError(
        _(
            "{tokenizer}: llama.cpp would tokenise the probe {probe} differently: token {index} "
            "is {gguf} in the GGUF but {hf} in the tokenizer",
            tokenizer=str(tokenizer["file"]),
            probe=repr(PROBE),
            index=str(at),
            gguf=_piece(got, at),
            hf=_piece(want, at),
        ),
        _(
            "the tokenizer's merges do not follow from its vocabulary as llama.cpp's "
            "{kind} tokenizer needs; convert it with llama.cpp's convert_hf_to_gguf.py and "
            "compare its tokens, or use a tokenizer made by `gemeingut tokenizer train`",
            kind=tokenizer["kind"],
        ),
    )


def _piece(encoding: Any, index: int) -> str:
    """Token `index` of `encoding` as `id 'piece'`, or "—" past its last token."""
    if index >= len(encoding.ids):
        return "—"
    return f"{encoding.ids[index]} {encoding.tokens[index]!r}"


def _f16_close(got: np.ndarray, want: np.ndarray) -> bool:
    # F16 keeps 11 significant bits (relative error <= 2^-11); below 2^-14 it is subnormal,
    # with an absolute step of 2^-24.
    return bool(np.allclose(got, want, rtol=2.0**-11, atol=2.0**-24))


def tokenizer_from_gguf(reader: gguf.GGUFReader) -> Tokenizer:
    """A `tokenizers` tokenizer built only from the GGUF's vocabulary and declared kind: a BPE
    with the declared pre-tokenizer and merges, or for an SPM vocabulary one that merges as
    llama.cpp does (`gguf_spm.py`); control tokens split out first as llama.cpp does."""
    keys = gguf.Keys.Tokenizer
    tokens = reader.fields[keys.LIST].contents()
    types = reader.fields[keys.TOKEN_TYPE].contents()
    if reader.fields[keys.MODEL].contents() == "llama":
        scores = reader.fields[keys.SCORES].contents()
        return spm_tokenizer(tokens, scores, types, reader.fields[keys.ADD_PREFIX].contents())
    merges = [tuple(m.split(" ", 1)) for m in reader.fields[keys.MERGES].contents()]
    pre = reader.fields[keys.PRE].contents()
    vocab = {tok: i for i, tok in enumerate(tokens)}
    bpe = models.BPE(vocab, merges, ignore_merges=PRE_IGNORES_MERGES[pre])
    tok = Tokenizer(bpe)
    if pre == "gpt-2":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(PRE_SPLIT[pre]), "isolated", invert=False),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
    kinds = list(zip(tokens, types, strict=True))
    tok.add_special_tokens([t for t, kind in kinds if kind == gguf.TokenType.CONTROL])
    tok.add_tokens([t for t, kind in kinds if kind == gguf.TokenType.USER_DEFINED])
    return tok


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
