"""What an embedding model's folder says about how it makes vectors, read without torch.

Three kinds of folder make embeddings without generating text:
- a sentence-transformers folder (`modules.json`): a transformer, then `Pooling` (CLS, mean,
  max, last token … as `1_Pooling/config.json` says), optionally `Normalize`; its prompts
  (`config_sentence_transformers.json`, e.g. "query: " and "passage: " for E5);
- a model2vec static folder (`config.json` with `model_type: model2vec`, `model.safetensors`
  holding an `embeddings` table, `tokenizer.json`): a text's vector is the mean of its tokens'
  rows;
- a plain encoder folder (`architectures` such as `BertModel`, `XLMRobertaModel`): mean
  pooling, as sentence-transformers reads a folder without `modules.json`.
A causal language model (or a LoRA adapter of one) is none of these: `encoder_layout` gives
None, and it embeds by its mean-pooled last hidden states (`serve/backends/transformers.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.json_records import read_object
from gemeingut.model.loading import ADAPTER_CONFIG

MODULES = "modules.json"
PROMPTS_FILE = "config_sentence_transformers.json"
SENTENCE_CONFIG = "sentence_bert_config.json"
STATIC_WEIGHTS = "model.safetensors"
STATIC_TOKENIZER = "tokenizer.json"
# sentence-transformers' pooling modes, in the order it concatenates several of them.
POOLING_MODES = ("cls_token", "max_tokens", "mean_tokens", "mean_sqrt_len_tokens",
                 "weightedmean_tokens", "lasttoken")  # fmt: skip
# The names a document prompt goes by: sentence-transformers' `encode_document` takes the
# first of them that the model has, `encode_query` the one called "query"; both fall back
# to `default_prompt_name`.
DOCUMENT_PROMPT_NAMES = ("document", "passage", "corpus")
QUERY_PROMPT_NAMES = ("query",)
GENERATIVE = ("ForCausalLM", "LMHeadModel", "ForConditionalGeneration")
_FIX = _("copy the model folder again from its source; it must be whole")


@dataclass(frozen=True)
class Prompts:
    """The texts put before a question and before a document to embed them."""

    query: str = ""
    document: str = ""

    def recorded(self) -> dict[str, str]:
        """As a collection records them (empty where the model has none)."""
        return {k: v for k, v in (("query", self.query), ("document", self.document)) if v}


@dataclass(frozen=True)
class EncoderLayout:
    kind: Literal["transformer", "static"]
    folder: Path  # the transformer's or the static table's folder
    pooling: tuple[str, ...] = ("mean_tokens",)
    include_prompt: bool = True
    normalize: bool = False
    # Tokens a text is cut to, the model's own ones included; None: as sentence-transformers
    # without `max_seq_length`, the smaller of the model's positions and the tokenizer's limit.
    max_length: int | None = None
    prompts: Prompts = field(default_factory=Prompts)


def encoder_layout(folder: Path) -> EncoderLayout | None:
    """How the model in `folder` embeds; None for a causal LM (or an adapter of one). A folder
    that looks like an encoder but lacks a file it needs is an error naming the file."""
    config = read_object(folder / "config.json", _FIX) or {}
    if config.get("model_type") == "model2vec":
        return _static(folder, config)
    if (folder / MODULES).is_file():
        return _sentence_transformers(folder)
    architectures = config.get("architectures")
    if (folder / ADAPTER_CONFIG).is_file() or not isinstance(architectures, list):
        return None
    if not architectures or any(str(a).endswith(GENERATIVE) for a in architectures):
        return None
    _need_weights(folder)
    return EncoderLayout("transformer", folder)


def _static(folder: Path, config: dict) -> EncoderLayout:
    for name in (STATIC_WEIGHTS, STATIC_TOKENIZER):
        _need(folder / name, _("a model2vec folder"))
    limit = config.get("max_length", 512)  # model2vec's default
    return EncoderLayout(
        "static",
        folder,
        normalize=config.get("normalize") is True,
        max_length=limit if isinstance(limit, int) and limit > 0 else None,
    )


def _sentence_transformers(folder: Path) -> EncoderLayout:
    """The modules sentence-transformers would chain: a transformer, pooling, normalisation;
    any other module (a `Dense` projection, a router) is refused by name rather than left out,
    which would give other vectors than the model's."""
    modules = _module_list(folder)
    kinds = {str(m.get("type", "")).rsplit(".", 1)[-1]: m for m in modules}
    unknown = [k for k in kinds if k not in {"Transformer", "Pooling", "Normalize"}]
    if unknown or "Transformer" not in kinds:
        raise InputError(
            _(
                "{path}: the sentence-transformers modules {modules} are not supported here "
                "(a transformer, its pooling and normalisation are)",
                path=str(folder / MODULES),
                modules=", ".join(unknown) or "-",
            ),
            _("serve the model with an engine that runs it (--upstream) and --embed its URL"),
        )
    inner = folder / str(kinds["Transformer"].get("path", ""))
    _need(inner / "config.json", _("a sentence-transformers folder"))
    _need_weights(inner)
    pooling: tuple[str, ...] = ("mean_tokens",)
    include_prompt = True
    if "Pooling" in kinds:
        config_file = folder / str(kinds["Pooling"].get("path", "")) / "config.json"
        _need(config_file, _("a sentence-transformers folder with a Pooling module"))
        config = read_object(config_file, _FIX) or {}
        pooling = _pooling_modes(config, config_file)
        include_prompt = config.get("include_prompt", True) is not False
    sentence = read_object(inner / SENTENCE_CONFIG, _FIX) or {}
    if sentence.get("do_lower_case") is True:
        raise InputError(
            _("{path}: do_lower_case is not supported", path=str(inner / SENTENCE_CONFIG)),
            _("lower-case the texts in the tokenizer's own settings (tokenizer_config.json)"),
        )
    limit = sentence.get("max_seq_length")
    return EncoderLayout(
        "transformer",
        inner,
        pooling=pooling,
        include_prompt=include_prompt,
        normalize="Normalize" in kinds,
        max_length=limit if isinstance(limit, int) and limit > 0 else None,
        prompts=_prompts(folder),
    )


def _module_list(folder: Path) -> list[dict]:
    import json

    try:
        value = json.loads((folder / MODULES).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(
            _("{path} cannot be read: {error}", path=str(folder / MODULES), error=str(error)),
            _FIX,
        ) from None
    if not isinstance(value, list) or not all(isinstance(m, dict) for m in value):
        raise InputError(
            _("{path} does not hold a list of modules", path=str(folder / MODULES)), _FIX
        )
    return value


def _pooling_modes(config: dict, where: Path) -> tuple[str, ...]:
    """The modes set in a Pooling config: its `pooling_mode_*` flags, or (newer versions)
    `pooling_mode` naming one ("cls", "mean", "lasttoken" …)."""
    named = config.get("pooling_mode")
    if isinstance(named, str):
        short = {"cls": "cls_token", "max": "max_tokens", "mean": "mean_tokens",
                 "mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
                 "weightedmean": "weightedmean_tokens", "lasttoken": "lasttoken"}  # fmt: skip
        modes = (short.get(named, named),)
    else:
        modes = tuple(m for m in POOLING_MODES if config.get(f"pooling_mode_{m}") is True)
    if not modes or any(m not in POOLING_MODES for m in modes):
        raise InputError(
            _("{path}: no pooling mode this program knows is set", path=str(where)),
            _("set one of {modes}", modes=", ".join(f"pooling_mode_{m}" for m in POOLING_MODES)),
        )
    return modes


def _prompts(folder: Path) -> Prompts:
    """The query and document prompts as sentence-transformers' `encode_query` and
    `encode_document` pick them."""
    config = read_object(folder / PROMPTS_FILE, _FIX) or {}
    prompts = config.get("prompts") or {}
    if not isinstance(prompts, dict):
        prompts = {}
    default = prompts.get(config.get("default_prompt_name") or "", "")

    def first(names: tuple[str, ...]) -> str:
        found = next((prompts[n] for n in names if n in prompts), default)
        return found if isinstance(found, str) else ""

    return Prompts(first(QUERY_PROMPT_NAMES), first(DOCUMENT_PROMPT_NAMES))


def _need(path: Path, kind: object) -> None:
    if not path.is_file():
        raise InputError(
            _("{kind} needs {file}, which is missing in {folder}", kind=kind, file=path.name,
              folder=str(path.parent)),
            _FIX,
        )  # fmt: skip


def _need_weights(folder: Path) -> None:
    from gemeingut.model.base_model import WEIGHT_PATTERNS

    if not any(next(folder.glob(pattern), None) for pattern in WEIGHT_PATTERNS):
        raise InputError(
            _("the encoder in {folder} has no weights: model.safetensors (or "
              "pytorch_model.bin) is missing", folder=str(folder)),
            _FIX,
        )  # fmt: skip
