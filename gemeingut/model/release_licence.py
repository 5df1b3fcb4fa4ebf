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
from typing import Any

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


def _record(folder: Path) -> dict[str, Any]:
    """The fine-tune's record, or an InputError naming the file and what is wrong."""
    path = folder / FINETUNE_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            _("{file}: cannot be read as JSON ({error})", file=str(path), error=str(exc)),
            _("restore the fine-tune's folder, or fine-tune again into a new --out folder"),
        ) from None
    if not isinstance(record, dict):
        raise InputError(
            _("{file}: holds no JSON object", file=str(path)),
            _("restore the fine-tune's folder, or fine-tune again into a new --out folder"),
        )
    base = record.get("base_model")
    if base is not None and not isinstance(base, dict):
        raise InputError(
            _("{file}: the field base_model is no JSON object", file=str(path)),
            _("restore the fine-tune's folder, or fine-tune again into a new --out folder"),
        )
    return record


def stale_licence(folder: Path, asked: str | None) -> tuple[Message, Message] | None:
    """Why a reused fine-tune in `folder` cannot stand for `asked`: its record keeps the
    licence named when it was made, which `release --finetuned` takes (None: it matches, or
    none was asked)."""
    if asked is None:
        return None
    recorded = _record(folder).get(RECORD_KEY)
    if recorded and str(recorded).strip().casefold() == asked.strip().casefold():
        return None
    if recorded:
        reason = _(
            "{path} already holds this fine-tune, made with --license {recorded}; it is "
            "reused as it is, and its finetune.json keeps {recorded}, not {asked}",
            path=str(folder),
            recorded=str(recorded),
            asked=asked,
        )
    else:
        reason = _(
            "{path} already holds this fine-tune, made without --license; it is reused as it "
            "is, and its finetune.json names no licence, not {asked}",
            path=str(folder),
            asked=asked,
        )
    hint = _(
        "name the licence when releasing (`gemeingut release --finetuned {path} --license "
        "{asked}`), or fine-tune into a new --out folder",
        path=str(folder),
        asked=asked,
    )
    return reason, hint


def release_licence(folder: Path) -> ReleaseLicence:
    """The licence to release the fine-tune in `folder` under when none is named, and why."""
    record = _record(folder)
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
