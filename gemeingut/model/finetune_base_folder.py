"""The folder a fine-tune starts from, in what the user named: a model folder as it is, or the
model folder of one of our releases (the release folder or its bundle, as `serve` and `model
export` take them); a LoRA adapter is refused in words.

An adapter is no whole model: a fine-tune of it would start from its base with the adapter
merged in memory, a model that exists nowhere as a folder. Neither peft (`AutoPeftModel…` loads
the base an adapter names, then the adapter) nor a release (which names its base by folder or
Hub id, and rebuilds each link of a chain from a whole model) could name what it was made from.
"""

from __future__ import annotations

from pathlib import Path

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.json_records import read_object
from gemeingut.model.loading import ADAPTER_CONFIG, FINETUNE_FILE
from gemeingut.release.layout import MODEL, RELEASE_INFO, locate_bundle

CONFIG = "config.json"


def base_model_folder(path: Path) -> Path:
    """`path`, or the model folder of the release or bundle `path` names; an adapter (given,
    or the release's model) is refused. A folder that holds neither stays as it is, so that the
    base model's checks say what it lacks."""
    found = path
    bundle = locate_bundle(path)
    if not _holds_model(path) and (bundle / RELEASE_INFO).is_file():
        found = bundle / MODEL
    refuse_adapter(found)
    return found


def released_name(folder: Path) -> str | None:
    """The name a release declares for the model folder `folder` of its bundle (a bundle's
    model folder has no card of its own, and its folder name says nothing)."""
    from gemeingut.model.export.released import released_model

    released = released_model(folder)
    return released.name if released is not None else None


def _holds_model(folder: Path) -> bool:
    return (folder / CONFIG).is_file() or (folder / ADAPTER_CONFIG).is_file()


def refuse_adapter(folder: Path) -> None:
    """Refuse a LoRA adapter as the base of a fine-tune, naming the base it was trained on."""
    if not (folder / ADAPTER_CONFIG).is_file() or (folder / CONFIG).is_file():
        return
    hint = _("restore the file the model folder was written with")
    config = read_object(folder / ADAPTER_CONFIG, hint) or {}
    named = config.get("base_model_name_or_path")
    base = named if isinstance(named, str) and named else _("the base it names")
    raise InputError(
        _(
            "base model {path} is a LoRA adapter of {base}, not a whole model: a fine-tune of "
            "it would be made from a model that exists nowhere as a folder, which neither peft "
            "nor a release can name as its base",
            path=str(folder),
            base=base,
        ),
        _(
            "fine-tune from a whole model: make the adapter's fine-tune again with --merge (in "
            "a recipe: [finetune] merge = true) and pass that folder (its {record} keeps the "
            "chain), or pass the adapter's base {base}",
            record=FINETUNE_FILE,
            base=base,
        ),
    )
