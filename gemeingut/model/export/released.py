"""A release bundle's model folder is named and licensed by its release, not by itself.

In a bundle the model folder (`model/`) holds weights and tokenizer only: the release's
`release.json` beside it declares the name and the weights' licence, and the fine-tune's record
of its base lies in `training-metadata/`. An export of that folder writes what the bundle's own
GGUF carries (and what `gemeingut verify` checks it against): the same name, licence and base.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gemeingut.i18n import _
from gemeingut.json_records import read_object
from gemeingut.release.layout import FINETUNE_RECORD, MODEL, RELEASE_INFO


@dataclass(frozen=True)
class Released:
    """What a bundle declares about its model: name, weights licence, the base's record."""

    name: str | None
    licence: str | None
    record: Path | None  # the fine-tune's finetune.json, where the model is a fine-tune


def released_model(model_dir: Path) -> Released | None:
    """The declarations of the bundle whose model folder `model_dir` is; None elsewhere."""
    folder = model_dir.resolve()
    bundle = folder.parent
    if folder.name != MODEL or not (bundle / RELEASE_INFO).is_file():
        return None
    release = read_object(bundle / RELEASE_INFO, _("restore the file")) or {}
    licences = release.get("licenses")
    weights = licences.get("weights") if isinstance(licences, dict) else None
    name = release.get("name")
    record = bundle / FINETUNE_RECORD
    return Released(
        name if isinstance(name, str) and name else None,
        weights if isinstance(weights, str) and weights else None,
        record if record.is_file() else None,
    )
