"""The licences the lines of a JSONL fine-tuning file state of themselves, read as `data
curate` reads a record's (`data.licence_field`): the field `license`; a missing or null field
states none (the licence given with the file then covers the line), an empty one states "no
licence". Read by `model finetune`, which refuses a licence given with the file that a line
contradicts and a line whose field holds no licence, and by the rating of what it wrote, which
counts each line under its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from gemeingut.data.compressed import STREAM_ERRORS, open_compressed
from gemeingut.data.licence_field import (
    LICENCE_FIELD,
    InvalidLicence,
    checked_expression,
    stated_licence,
)
from gemeingut.i18n import Message, _, plural


def line_licences(path: Path) -> Iterator[tuple[int, str | None]]:
    """(line number, the licence the line states or None) for each non-blank line; a line
    that is no JSON object states none (the reader of the examples says what is wrong with
    it), one whose field holds no licence states "" (`invalid_licences` says why), and a file
    that cannot be read ends here (so does its reading, with the reason)."""
    for number, own, _problem in _read(path):
        yield number, own


def invalid_licences(path: Path) -> list[tuple[int, Message]]:
    """(line number, what is wrong) for each line whose field `license` holds no licence: no
    text (`["MIT"]`), or text that is no SPDX expression (`MIT AND`)."""
    return [(number, problem) for number, _own, problem in _read(path) if problem is not None]


def invalid_said(name: str, invalid: list[tuple[int, Message]]) -> Message:
    """The file's lines whose licence field is invalid: the first with what is wrong, the
    others counted."""
    line, problem = invalid[0]
    values = {"path": name, "line": str(line), "problem": problem}
    return plural(
        len(invalid),
        _("{path}, line {line}: {problem}", **values),
        _("{path}: {count} lines hold no licence in their field {field!r}; the first, line "
          "{line}: {problem}", count=len(invalid), field=LICENCE_FIELD, **values),
    )  # fmt: skip


def _read(path: Path) -> Iterator[tuple[int, str | None, Message | None]]:
    try:
        with open_compressed(path) as handle:
            for number, raw in enumerate(handle, 1):
                if raw.strip():
                    yield number, *_stated(raw)
    except STREAM_ERRORS:
        return


def _stated(raw: bytes) -> tuple[str | None, Message | None]:
    try:
        record = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None, None
    if not isinstance(record, dict):
        return None, None
    try:
        own = stated_licence(record)
        return (own if own is None else checked_expression(own)), None
    except InvalidLicence as invalid:
        return "", invalid.problem
