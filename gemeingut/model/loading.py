"""Load what a model folder holds: a whole model, or a LoRA adapter on top of its base model.

An adapter folder (`adapter_config.json`) is small and names its base: `finetune.json` records
the base model's folder, and `base_model_name_or_path` in the adapter's config names it as peft
loads it, a folder or a Hugging Face Hub id (a released adapter names its base by its Hub id).
Serving, evaluating or auditing an adapter loads that base and merges the adapter in memory;
the merged weights equal what `model finetune --merge` writes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, NoReturn

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.json_records import read_object

ADAPTER_CONFIG = "adapter_config.json"
FINETUNE_FILE = "finetune.json"  # written by `finetune.py`: base model, data, run


def adapter_base(folder: Path) -> Path | None:
    """The base model folder of a LoRA adapter folder; None for a whole model. The first of
    the names the folder gives (the fine-tune's record, the adapter's config) that is a model
    folder or a Hub id in the local Hugging Face cache; else an error that says where the
    base must be."""
    if not (folder / ADAPTER_CONFIG).is_file():
        return None
    config = _json_object(folder / ADAPTER_CONFIG)
    revision = config.get("revision")
    named = config.get("base_model_name_or_path")
    recorded = recorded_base(folder / FINETUNE_FILE).get("path")
    given = [recorded or "", named if isinstance(named, str) else ""]
    names = [name for name in dict.fromkeys(given) if name]
    for name in names:
        found = _model_folder(name, revision if isinstance(revision, str) else None)
        if found is not None:
            return found
    _missing_base(folder, names, revision)


def recorded_base(record: Path) -> dict[str, Any]:
    """The base model a fine-tune's record (`finetune.json`, in its folder or a bundle) names:
    its name, licence and `path` (its folder or Hub id), which every reader follows and so is a
    string wherever a base is named; {} where there is no record or it names no base. The one
    reader of the record's base for loading, the audit and the GGUF export (without torch)."""
    base = _json_object(record).get("base_model") or {}
    if not isinstance(base, dict) or (base and not isinstance(base.get("path"), str)):
        raise InputError(
            _(
                "{path}: base_model needs a name and a path (the base model's folder or Hub id)",
                path=str(record),
            ),
            _("restore the file from the fine-tuning run, or remove its base_model"),
        )
    return base


def _model_folder(name: str, revision: str | None) -> Path | None:
    """`name` as transformers resolves it offline: a folder with a config.json, else a Hub
    id's snapshot in the local Hugging Face cache (HF_HOME, HF_HUB_CACHE) that holds its
    weights; None where neither is on this machine."""
    if (Path(name) / "config.json").is_file():
        return Path(name)
    from gemeingut.recipe import is_hub_id

    if not is_hub_id(name):
        return None
    from huggingface_hub import try_to_load_from_cache

    from gemeingut.model.base_model import WEIGHT_PATTERNS

    config = try_to_load_from_cache(name, "config.json", revision=revision)
    if not isinstance(config, str):
        return None
    snapshot = Path(config).parent
    if not any(next(snapshot.glob(pattern), None) for pattern in WEIGHT_PATTERNS):
        return None  # only the config was fetched (as `release --base-hub-id` may read it)
    return snapshot


def _missing_base(folder: Path, names: list[str], revision: Any) -> NoReturn:
    """The error for a base that is not on this machine: for a Hub id, that the local cache
    lacks it and how to download it (the revision the adapter was trained on, where it names
    one: `main` may have moved on to other weights); for a folder, that it is gone."""
    from gemeingut.model.finetune_base_reference import is_revision
    from gemeingut.recipe import is_hub_id

    hub_ids = [name for name in names if is_hub_id(name) and not Path(name).exists()]
    if hub_ids:
        from huggingface_hub import constants

        hub_id = hub_ids[0]
        download = f"{hub_id} --revision {revision}" if is_revision(revision) else hub_id
        raise InputError(
            _(
                "{path} is a LoRA adapter whose base model {base} (a Hugging Face Hub id) is "
                "not in the local Hugging Face cache {cache}",
                path=str(folder),
                base=hub_id,
                cache=constants.HF_HUB_CACHE,
            ),
            _(
                "download the base model into the Hugging Face cache, on a machine with "
                "internet if this one has none (`hf download {base}` or `huggingface-cli "
                "download {base}`, then copy the cache here or point HF_HOME or HF_HUB_CACHE "
                "at it), or write the base model's folder as base_model_name_or_path in {config}",
                base=download,
                config=str(folder / ADAPTER_CONFIG),
            ),
        )
    raise InputError(
        _(
            "{path} is a LoRA adapter whose base model is not at {base}",
            path=str(folder),
            base=names[0] if names else "",
        ),
        _(
            "put the base model folder back there, or fine-tune with --merge to get a "
            "standalone model"
        ),
    )


def _json_object(file: Path) -> dict[str, Any]:
    """A record of the adapter folder, read as JSON; an unreadable one is a clear error."""
    return read_object(file, _("restore the file the model folder was written with")) or {}


def load_causal_lm(folder: Path, base: Path | None = None) -> Any:
    """The model in `folder` (an adapter merged onto its base: `base`, else the one it names)
    in float32, evaluation mode. (torch and transformers load here, not at import: the
    server's app imports this module.)"""
    import torch

    dtype = torch.float32
    if base is None or not (folder / ADAPTER_CONFIG).is_file():
        base = adapter_base(folder)
    if base is None:
        return pretrained_model(folder, dtype).eval()
    from peft import PeftModel

    from gemeingut.model.lora import peft_deprecations_quiet

    model = pretrained_model(base, dtype)
    try:
        with peft_deprecations_quiet():
            model = PeftModel.from_pretrained(model, str(folder)).merge_and_unload()
    except _loading_errors() as exc:  # a config without peft_type, no adapter weights …
        raise InputError(
            _("peft cannot load the LoRA adapter in {path}: {error}", path=str(folder),
              error=str(exc)),
            _("restore the adapter's files from its training"),
        ) from None  # fmt: skip
    return model.eval()


def pretrained_model(folder: Path, dtype: Any) -> Any:
    """The causal LM saved in `folder`; a folder transformers cannot read (a damaged config, no
    weights) is a clear error, not its traceback. On a GPU transformers would fetch kernels
    from the Hub at load time; an air-gapped machine has none, and a model should run the code
    that shipped with it: `use_kernels=False`."""
    from safetensors import SafetensorError
    from transformers import AutoModelForCausalLM

    try:
        return AutoModelForCausalLM.from_pretrained(str(folder), dtype=dtype, use_kernels=False)
    except (*_loading_errors(), SafetensorError) as exc:
        _refuse_damaged_weights(folder)
        raise InputError(
            _(
                "transformers cannot load the base model in {path}: {error}",
                path=str(folder),
                error=str(exc),
            ),
            _("pass a causal language model folder (config.json, weights, tokenizer)"),
        ) from None


def _refuse_damaged_weights(folder: Path) -> None:
    """The error for a weights file that is cut short or has no header (an interrupted copy or
    download), naming the file: safetensors' own message names none."""
    from gemeingut.model.safetensors_file import damaged

    try:
        files = damaged(folder)
    except OSError:
        return  # transformers' own error says what it could not read
    if files:
        raise InputError(
            _(
                "{path} is damaged: it is not a whole safetensors file (cut short or without "
                "its header)",
                path=str(files[0]),
            ),
            _("copy or download the model's weights file again"),
        )


# Model types whose `AutoModel` is an encoder-decoder: their embedding models (sentence-T5,
# GTR) run the encoder alone, as sentence-transformers loads them.
ENCODER_HALVES = {"t5": "T5EncoderModel", "mt5": "MT5EncoderModel", "umt5": "UMT5EncoderModel"}


def pretrained_encoder(folder: Path) -> Any:
    """The transformer of an embedding model (BERT, XLM-R …, no head; a T5's encoder) in
    `folder`, float32, in evaluation mode; a folder transformers cannot read is a clear error,
    not its traceback."""
    import torch
    import transformers

    held = _HeldReports()
    reporter = logging.getLogger("transformers.modeling_utils")
    reporter.addFilter(held)
    try:
        config = transformers.AutoConfig.from_pretrained(str(folder))
        half = ENCODER_HALVES.get(config.model_type)
        loader = getattr(transformers, half) if half else transformers.AutoModel
        model, found = loader.from_pretrained(
            str(folder), dtype=torch.float32, use_kernels=False, output_loading_info=True
        )
    except _loading_errors() as exc:
        raise InputError(
            _("transformers cannot load the encoder in {path}: {error}", path=str(folder),
              error=str(exc)),
            _("pass an embedding model folder (config.json, weights, tokenizer)"),
        ) from None  # fmt: skip
    finally:
        reporter.removeFilter(held)
    if not _only_a_head_left_out(model, found):
        for record in held.records:
            reporter.handle(record)
    return model.eval()


class _HeldReports(logging.Filter):
    """Holds transformers' load reports back while an encoder loads; every other record of its
    logger passes as it comes."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if "LOAD REPORT" in record.getMessage():
            self.records.append(record)
            return False
        return True


def _only_a_head_left_out(model: Any, found: dict[str, Any]) -> bool:
    """Whether the load report says only what is expected of an encoder read from a folder
    with a head (a causal LM's `lm_head`, a masked LM's `cls`): weights of modules the
    transformer has no place for at all, nothing missing or of another shape. A left-out
    weight inside the transformer's own modules is reported as it is."""
    own = {name for name, _module in model.named_children()}
    unexpected = found.get("unexpected_keys") or []
    return (
        not found.get("missing_keys")
        and not found.get("mismatched_keys")
        and all(key.split(".", 1)[0] not in own for key in unexpected)
    )


# The files a tokenizer's vocabulary is read from (a fast tokenizer's tokenizer.json, a BPE
# vocabulary, a WordPiece one, a SentencePiece model); tokenizer_config.json alone holds none.
TOKENIZER_FILES = (
    "tokenizer.json",
    "vocab.json",
    "vocab.txt",
    "tokenizer.model",
    "spiece.model",
    "sentencepiece.bpe.model",
)


def load_tokenizer(folder: Path) -> Any:
    """The tokenizer saved in `folder`, always from the folder itself (never the Hub); a broken
    or missing one is a clear error. transformers builds an empty tokenizer from config.json
    alone, without a word: every text would become no tokens, and every score made up."""
    from transformers import AutoTokenizer

    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        raise InputError(
            _(
                "{path} holds no tokenizer: none of {files}",
                path=str(folder),
                files=", ".join(TOKENIZER_FILES),
            ),
            _(
                "copy the tokenizer files (tokenizer.json, tokenizer_config.json) from the "
                "model's source into that folder"
            ),
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    except _loading_errors() as exc:  # a broken tokenizer.json: ValueError
        raise InputError(
            _(
                "transformers cannot load the tokenizer in {path}: {error}",
                path=str(folder),
                error=str(exc),
            ),
            _(
                "copy the tokenizer files (tokenizer.json, tokenizer_config.json) from the "
                "model's source again"
            ),
        ) from None
    if len(tokenizer) <= len(tokenizer.all_special_tokens):  # files there, but no vocabulary
        raise InputError(
            _("the tokenizer in {path} has no vocabulary", path=str(folder)),
            _(
                "copy the tokenizer files (tokenizer.json, tokenizer_config.json) from the "
                "model's source again"
            ),
        )
    return tokenizer


def _loading_errors() -> tuple[type[Exception], ...]:
    """What transformers raises for a folder it cannot read: missing files (OSError), values
    of the wrong kind in config.json (ValueError, TypeError, huggingface_hub's strict
    dataclass check), an unknown model type (KeyError)."""
    from huggingface_hub.errors import StrictDataclassError

    return (OSError, ValueError, KeyError, TypeError, StrictDataclassError)
