"""Where a fine-tune's licences were given: the options of `gemeingut model finetune`, or the
keys of the recipe `gemeingut build` ran. finetune.json keeps the command that made the
fine-tune, as an audit's report keeps its own, so that a rating names the place a person really
gave a licence, not an option they never used. The command is no parameter of the fine-tune's
id (the same fine-tune made by either command is the same), and `reproduce` compares records
apart from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gemeingut.i18n import Message, _
from gemeingut.model.loading import FINETUNE_FILE
from gemeingut.workspace import write_json_atomic

COMMAND_KEY = "command"
FINETUNE_COMMAND = "gemeingut model finetune"
BUILD_COMMAND = "gemeingut build"
# Each licence by the name the command gives it: an option, or a recipe's key.
NAMES = {
    FINETUNE_COMMAND: {"license": "--license", "data_license": "--data-license"},
    BUILD_COMMAND: {"license": "release.license", "data_license": "finetune.data_license"},
}


def record_command(folder: Path, licence_field: str) -> None:
    """Keep the command in the record in `folder`; `licence_field`, the option or recipe key
    that named the release's licence, tells which (`--license`: `model finetune`)."""
    path = folder / FINETUNE_FILE
    if path.is_file():  # a follower rank under torchrun writes no record
        record = json.loads(path.read_text(encoding="utf-8"))
        command = FINETUNE_COMMAND if licence_field.startswith("--") else BUILD_COMMAND
        write_json_atomic(path, {**record, COMMAND_KEY: command})


def given_as(record: dict[str, Any], licence: str) -> Message | None:
    """Where `licence` ("license" or "data_license") was given, as a reader is told; None
    where the record keeps no command (an older gemeingut's) or one this version does not
    know: then nothing is said of where."""
    names = NAMES.get(str(record.get(COMMAND_KEY)))
    if names is None:
        return None
    name = names[licence]
    if name.startswith("--"):
        return _("option {name}", name=name)
    return _("{name} in the recipe", name=name)
