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
        raise InputError(f"{path} holds no {' or '.join(suffixes)} suite files", _FORMAT_HINT)
    raise InputError(f"suite {path} does not exist", "check the path")


def read_items(path: Path, required: dict[str, type | tuple[type, ...]]) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file; each must have `required` keys of the given types."""
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} cannot be read: {exc}", "check the file") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not valid JSON ({exc.msg})", _FORMAT_HINT) from None
        if not isinstance(item, dict):
            raise InputError(f"{where}: expected a JSON object", _FORMAT_HINT)
        for key, kind in required.items():
            if key not in item:
                raise InputError(f"{where}: field {key!r} is missing", _FORMAT_HINT)
            if not isinstance(item[key], kind) or item[key] in ("", []):
                raise InputError(
                    f"{where}: field {key!r} must be a non-empty {_names(kind)}", _FORMAT_HINT
                )
        item["_where"] = where
        items.append(item)
    if not items:
        raise InputError(f"{path} holds no items", _FORMAT_HINT)
    return items


def unique_ids(items: Iterable[dict[str, Any]]) -> None:
    seen: dict[str, str] = {}
    for item in items:
        if item["id"] in seen:
            raise InputError(
                f"{item['_where']}: id {item['id']!r} is used again (first at {seen[item['id']]})",
                "give every item its own id",
            )
        seen[item["id"]] = item["_where"]


def _names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(
        {"str": "string", "list": "list", "int": "integer"}.get(k.__name__, k.__name__)
        for k in kinds
    )


_FORMAT_HINT = "each line is one JSON object; the suite's README.md describes the fields"
