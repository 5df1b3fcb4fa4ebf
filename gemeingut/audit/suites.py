"""Suite files: JSONL items read with the file and line of every mistake, and the suites we ship.

Users extend a suite by writing more lines in the same format; a malformed line stops the run
with `file:line: field …` and what to change, before any model is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.json_records import json_problem, read_utf8, record_lines

SUITES = Path(str(files("gemeingut.audit") / "suites"))


def shipped(kind: str) -> Path:
    """The folder of a suite that ships with gemeingut (bias/de, redteam, tasks)."""
    return SUITES / kind


def suite_files(path: Path, suffixes: tuple[str, ...] = (".jsonl",)) -> list[Path]:
    """A suite file, or every suite file in a folder (sorted, so runs are repeatable)."""
    if path.is_file():
        return [path]
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix in suffixes)
        if found:
            return found
        raise InputError(
            _("{path} holds no suite files ({suffixes})", path=path, suffixes=", ".join(suffixes)),
            _FORMAT_HINT,
        )
    raise InputError(_("suite {path} does not exist", path=path), _("check the path"))


def read_items(path: Path, required: dict[str, type | tuple[type, ...]]) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file; each must have `required` keys of the given types."""
    items = []
    lines = record_lines(read_utf8(path))
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                _("{where}: not valid JSON ({error})", where=where, error=json_problem(exc)),
                _FORMAT_HINT,
            ) from None
        if not isinstance(item, dict):
            raise InputError(_("{where}: expected a JSON object", where=where), _FORMAT_HINT)
        for key, kind in required.items():
            if key not in item:
                raise InputError(
                    _("{where}: field {key!r} is missing", where=where, key=key), _FORMAT_HINT
                )
            if not isinstance(item[key], kind) or item[key] in ("", []):
                raise InputError(
                    _(
                        "{where}: field {key!r} must be a non-empty {kind}",
                        where=where,
                        key=key,
                        kind=_names(kind),
                    ),
                    _FORMAT_HINT,
                )
        item["_where"] = where
        items.append(item)
    if not items:
        raise InputError(_("{path} holds no items", path=path), _FORMAT_HINT)
    return items


def unique_ids(items: Iterable[dict[str, Any]]) -> None:
    seen: dict[str, str] = {}
    for item in items:
        if item["id"] in seen:
            raise InputError(
                _(
                    "{where}: id {id!r} is used again (first at {first})",
                    where=item["_where"],
                    id=item["id"],
                    first=seen[item["id"]],
                ),
                _("give every item its own id"),
            )
        seen[item["id"]] = item["_where"]


def _names(kind: type | tuple[type, ...]) -> str | Message:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = [_TYPE_NAMES.get(k.__name__, k.__name__) for k in kinds]
    said = names[0]
    for name in names[1:]:
        said = _("{first} or {second}", first=said, second=name)
    return said


_TYPE_NAMES: dict[str, str | Message] = {
    "str": _("string"),
    "list": _("list"),
    "int": _("integer"),
}
_FORMAT_HINT = _("each line is one JSON object; the suite's README.md describes the fields")
