"""JSON records a person may have edited by hand (config.json, finetune.json, artifact.json …):
read as objects, with the file named when one is not, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _


def read_object(path: Path, hint: Message) -> dict[str, Any] | None:
    """The JSON object in `path`; None when there is no such file. `hint` says what to do
    when the file is not UTF-8 JSON or holds something other than an object."""
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(
            _("{path} is not valid JSON: {error}", path=str(path), error=str(error)), hint
        ) from None
    if not isinstance(value, dict):
        raise InputError(_("{path} does not hold a JSON object", path=str(path)), hint)
    return value
