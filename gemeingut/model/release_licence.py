"""The licence a fine-tune is meant to be released under: named with `model finetune --license`
(checked against the base's before any training), recorded in `finetune.json`, and the licence
`release --finetuned` releases under unless its own `--license` names another.

The licence is no parameter of the fine-tune's id (naming another one never retrains), so it
is written into the record after the run. A fine-tune recorded before the licence was kept, or
made without `--license`, is released under its base's licence, which a derivative carries;
where the base names none, nobody can tell, and the release asks for one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.model.base_model import OWN_MODEL
from gemeingut.model.loading import FINETUNE_FILE
from gemeingut.workspace import write_json_atomic

RECORD_KEY = "release_license"


@dataclass(frozen=True)
class ReleaseLicence:
    licence: str | None  # None: a base gemeingut built, whose release sets the licence
    why: Message | None


def record_release_licence(folder: Path, licence: str | None) -> None:
    """Keep `licence` (None: none was named) in the fine-tune's record in `folder`."""
    path = folder / FINETUNE_FILE
    if path.is_file():  # a follower rank under torchrun writes no record
        record = json.loads(path.read_text(encoding="utf-8"))
        write_json_atomic(path, {**record, RECORD_KEY: licence})


def release_licence(folder: Path) -> ReleaseLicence:
    """The licence to release the fine-tune in `folder` under when none is named, and why."""
    record = json.loads((folder / FINETUNE_FILE).read_text(encoding="utf-8"))
    chosen = record.get(RECORD_KEY)
    if chosen:
        return ReleaseLicence(
            str(chosen), _("{licence}, as chosen at fine-tuning (--license)", licence=chosen)
        )
    base = record.get("base_model") or {}
    if base.get("license_source") == OWN_MODEL:
        return ReleaseLicence(None, None)
    if base.get("license"):
        return ReleaseLicence(
            str(base["license"]),
            _(
                "{licence}, the base model's licence, which a derivative carries (no licence "
                "was chosen at fine-tuning)",
                licence=base["license"],
            ),
        )
    raise InputError(
        _(
            "{path}: no licence was chosen at fine-tuning (--license), and its base model {base} "
            "names none, so the release cannot take one from either",
            path=str(folder),
            base=str(base.get("name") or base.get("path") or "?"),
        ),
        _("name the release's licence with --license SPDX (e.g. the one the base's terms allow)"),
    )
