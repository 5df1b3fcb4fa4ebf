"""The base model a foreign fine-tune names: a PEFT adapter in `adapter_config.json`
(`base_model_name_or_path`), any fine-tune in its card's `base_model`. A derivative's weights
are bound by its base's licence, so the fine-tune is rated with its base as gemeingut's own
fine-tunes are (`foreign_finetune.py`), from the base's folder where one is here without a
network: the folder given (`openness rate --base DIR`), a local path the adapter names, or the
Hugging Face cache. Where none is, the base is named and its licence said to be unchecked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.json_records import read_object
from gemeingut.model.card_header import CARD_FILE, Card, named_licence, read_card
from gemeingut.model.loading import ADAPTER_CONFIG
from gemeingut.release.hub_id import COMPARED, cached_config, json_config
from gemeingut.release.openness.foreign_finetune import Lineage

BASE_OPTION = "--base"


def foreign_lineage(folder: Path, card: Card | None, given: Path | None) -> Lineage | None:
    """The base `folder` names (None: it names none and none is given), with its folder, licence
    and model type where its folder is here."""
    adapter = _adapter_base(folder)
    declared = (adapter, ADAPTER_CONFIG) if adapter else (_card_base(card), CARD_FILE)
    name, where = declared
    if name is None and given is None:
        return None
    path = given if given is not None else _located(name, folder)
    if given is not None:
        _refuse_another_model(folder, name, given)
    base: dict[str, Any] = {"name": name or (given.name if given else None), "path": None}
    if path is not None:
        base |= _facts(path)
    return Lineage(
        folder=folder,
        base=base,
        data_licence=None,
        adapter=(folder / ADAPTER_CONFIG).is_file(),
        treatment="pre-trained",  # the MOF's word where the kind of fine-tuning is unknown
        declared_in=where if name else BASE_OPTION,
    )


def given_base(path: Path | None) -> Path | None:
    """The folder `--base` names: a folder, or an error that says what to pass."""
    if path is not None and not path.is_dir():
        raise InputError(
            _("{option} {path} is not a folder", option=BASE_OPTION, path=str(path)),
            _("pass the base model's folder (config.json, weights, README.md)"),
        )
    return path


def _adapter_base(folder: Path) -> str | None:
    config = read_object(
        folder / ADAPTER_CONFIG, _("fix or re-download {file}", file=ADAPTER_CONFIG)
    )
    name = (config or {}).get("base_model_name_or_path")
    return str(name).strip() or None if name else None


def _card_base(card: Card | None) -> str | None:
    """The card's `base_model`: several (a merge) are named together."""
    value = card.header.get("base_model") if card is not None else None
    names = [str(v).strip() for v in (value if isinstance(value, list) else [value]) if v]
    return ", ".join(n for n in names if n) or None


def _located(name: str | None, folder: Path) -> Path | None:
    """The base's folder here: a local path (as written, or beside the fine-tune, as PEFT
    writes a base loaded from a relative path), or a Hugging Face cache snapshot (never the
    network: a rating must be the same offline)."""
    if not name or "," in name:
        return None
    written = Path(name)
    if written.is_absolute():
        return written if written.is_dir() else None
    for candidate in (folder / written, folder.parent / written):
        if (candidate / "config.json").is_file():
            return candidate
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(name, local_files_only=True))
    except (HFValidationError, LocalEntryNotFoundError, ValueError, OSError):
        return None


def _refuse_another_model(folder: Path, name: str | None, given: Path) -> None:
    """`--base DIR` lends DIR's licence to the rating: a DIR this machine shows to be another
    model is refused, compared with what a fine-tune cannot change (`hub_id.COMPARED`, the
    vocabulary aside: a fine-tune may add tokens) of the fine-tune's own config.json and of
    the base it names, where that is here (a folder, or the Hugging Face cache)."""
    theirs = json_config(given / "config.json")
    if theirs is None:
        return
    references: list[tuple[str, dict[str, Any] | None]] = [
        (str(folder / "config.json"), json_config(folder / "config.json"))
    ]
    named = _located(name, folder)
    if named is not None:
        references.append((str(named / "config.json"), json_config(named / "config.json")))
    elif name and "," not in name:
        cached = cached_config(name)
        if cached is not None:
            references.append((str(cached[0]), cached[1]))
    for where, config in references:
        differing = [
            f"{key} {theirs[key]} ≠ {config[key]}"
            for key in COMPARED
            if key != "vocab_size"
            and config
            and key in config
            and key in theirs
            and theirs[key] != config[key]
        ]
        if differing:
            raise InputError(
                _(
                    "{option} {path} is another model than {where} describes: {differing}",
                    option=BASE_OPTION,
                    path=str(given),
                    where=where,
                    differing="; ".join(differing),
                ),
                _("pass the folder of the model the fine-tune was made from"),
            )


def _facts(path: Path) -> dict[str, Any]:
    """What the base's folder says of itself: its licence (as any folder's is read), the files
    that say it, and its model type."""
    named = named_licence(path, read_card(path))
    config = read_object(path / "config.json", _("fix or re-download config.json")) or {}
    return {
        "path": str(path),
        "license": named.licence,
        "license_evidence": named.evidence if named.licence else None,
        "model_type": config.get("model_type"),
    }
