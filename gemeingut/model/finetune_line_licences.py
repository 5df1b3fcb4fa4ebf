"""The licences the lines of a JSONL fine-tuning file state of themselves, read as `data
curate` reads a record's (`data.readers`): the field `license`; a missing or null field states
none (the licence given with the file then covers the line), an empty one states "no
licence". Read by `model finetune`, which refuses a licence given with the file that a line
contradicts, and by the rating of what it wrote, which counts each line under its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from gemeingut.data.compressed import STREAM_ERRORS, open_compressed

LICENCE_FIELD = "license"  # the field `data curate` reads a document's licence from


def line_licences(path: Path) -> Iterator[tuple[int, str | None]]:
    """(line number, the licence the line states or None) for each non-blank line; a line
    that is no JSON object states none (the reader of the examples says what is wrong with
    it), and a file that cannot be read ends here (so does its reading, with the reason)."""
    try:
        with open_compressed(path) as handle:
            for number, raw in enumerate(handle, 1):
                if raw.strip():
                    yield number, _stated(raw)
    except STREAM_ERRORS:
        return


def _stated(raw: bytes) -> str | None:
    try:
        record = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    value = record.get(LICENCE_FIELD) if isinstance(record, dict) else None
    return None if value is None else str(value).strip()
