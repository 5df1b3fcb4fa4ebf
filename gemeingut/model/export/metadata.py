"""The GGUF keys that describe the model: its hyper-parameters, name, licence and base models.

Name, licence and base models are written as llama.cpp's converter writes them (gguf-py's
metadata.py), so that whoever runs the GGUF sees whose terms bind it: from the export's
arguments, else the folder's model card, else a fine-tune's record of its base.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import gguf
from gguf import GGUFValueType as T

from gemeingut.i18n import _
from gemeingut.json_records import read_object
from gemeingut.model.export.architectures import Shape
from gemeingut.model.loading import FINETUNE_FILE, recorded_base
from gemeingut.recipe import is_hub_id
from gemeingut.release.layout import RELEASE_INFO

DTYPES = {"f32": gguf.LlamaFileType.ALL_F32, "f16": gguf.LlamaFileType.MOSTLY_F16}


def model_metadata(
    model_dir: Path,
    shape: Shape,
    dtype: str,
    name: str | None,
    licence: str | None,
    record: Path | None = None,
    names_only: bool = False,
) -> dict[str, tuple[Any, T]]:
    """`record`: the fine-tune's record, where it is not the folder's own (a release bundle
    keeps it in training-metadata/)."""
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
    return meta | _general_metadata(model_dir, name, licence, record, names_only)


def _general_metadata(
    model_dir: Path,
    name: str | None,
    licence: str | None,
    record: Path | None,
    names_only: bool = False,
) -> dict[str, tuple[Any, T]]:
    """Name, licence and base models as llama.cpp's converter writes them (gguf-py's
    metadata.py): from the arguments, else the folder's card, else a fine-tune's record."""
    general = gguf.Keys.General
    card = _model_card(model_dir)
    base = recorded_base(record or model_dir / FINETUNE_FILE)
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
    stated = names_only and record is not None and _stated_hub_id(record)
    models = _card_base_models(card.get("base_model")) or _recorded_base_model(
        base, names_only, stated
    )
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


def _recorded_base_model(
    base: dict[str, Any], names_only: bool = False, stated: bool = False
) -> list[dict[str, str]]:
    """The base a fine-tune's `finetune.json` records: its name, and where it is a Hub id (a
    folder of the Hub's cache, or a released record's reference) its organisation and URL.
    `names_only`: the path is never read as a folder of this machine (a bundle's record);
    `stated`: its bundle's release states a Hub id (`--base-hub-id`)."""
    if not base.get("name"):
        return []
    reference = base["path"]
    if Path(reference).is_absolute() and not names_only:  # a folder of the building machine
        from gemeingut.model.finetune_base_reference import base_reference

        reference = base_reference(reference)
    if not is_hub_id(reference):
        return [{"name": base["name"]}]
    # A bundle's record names its base by a Hub id read from the Hub's cache (since
    # 2026-12-07 with its revision) or one the publisher stated at release (`--base-hub-id`,
    # kept in release.json), which nothing checked where no cached copy of it was the base:
    # that one is named, but no URL presents it as where the base lies. A bundle older than
    # the revision's key, its Hub id read from the cache, keeps its URL.
    unchecked = stated and not base.get("revision")
    return [_hub_model(reference, linked=not unchecked)]


def _stated_hub_id(record: Path) -> bool:
    """Whether the release whose bundle holds `record` (at `FINETUNE_RECORD`) names its base
    by a Hub id the publisher stated (`release.json`'s `base_hub_id`)."""
    release = read_object(record.parent.parent / RELEASE_INFO, _("restore the file")) or {}
    return bool(release.get("base_hub_id"))


def _hub_model(model_id: str, linked: bool = True) -> dict[str, str]:
    """name, organization and (`linked`) repo_url of a Hub id, spelled as llama.cpp's
    converter does."""
    from gguf.metadata import Metadata

    name, org, *_ = Metadata.get_model_id_components(model_id)
    model = {"name": Metadata.id_to_title(name)} if name else {}
    if org:
        model["organization"] = Metadata.id_to_title(org)
    if org and linked:
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


def folder_json(file: Path) -> dict[str, Any]:
    """A record of the model folder; every one the export reads is a JSON object."""
    return read_object(file, _("restore the file the model folder was written with")) or {}
