"""Where two versions of a record or document differ, said so that a reader sees what changed:
for JSON the first differing keys (`path a ≠ b`), for text the first differing line.

`verify` says it of a document that is not the one the files give, `reproduce` of a file that
is not the one the build recorded. Values are shown as JSON, cut short; `—` stands for absent.
"""

from __future__ import annotations

import json
from typing import Any

from gemeingut.i18n import Message, _

ABSENT = "—"
SHOWN = 5  # differences named; the rest are left to a diff tool
_VALUE_CHARS = 72  # a sha256 in quotes, whole


def json_differences(first: Any, second: Any, limit: int = SHOWN) -> list[str]:
    """The first `limit` places where `second` differs from `first`: `path first ≠ second`."""
    found: list[str] = []
    _walk(first, second, "", found, limit)
    return found


def text_difference(first: str, second: str) -> Message | None:
    """The first line where `second` differs from `first`: `line N: "…" ≠ "…"`."""
    if first == second:
        return None
    one, two = first.splitlines(), second.splitlines()
    for number, (a, b) in enumerate(zip(one, two, strict=False), start=1):
        if a != b:
            return _line(number, _shown(a), _shown(b))
    if len(one) != len(two):
        number = min(len(one), len(two)) + 1
        a = _shown(one[number - 1]) if len(one) >= number else ABSENT
        b = _shown(two[number - 1]) if len(two) >= number else ABSENT
        return _line(number, a, b)
    return _("only the line ends differ")


def _line(number: int, first: str, second: str) -> Message:
    return _("line {number}: {first} ≠ {second}", number=str(number), first=first, second=second)


def differences(name: str, first: str, second: str, limit: int = SHOWN) -> list[str | Message]:
    """JSON keys for a `.json` file both of whose versions parse, else the first line."""
    if name.endswith(".json"):
        try:
            found_keys = json_differences(json.loads(first), json.loads(second), limit)
        except ValueError:
            found_keys = []
        if found_keys:
            return [*found_keys]
    # the same JSON in other bytes (key order, spacing): the bytes are what differs
    found = text_difference(first, second)
    return [found] if found is not None else []


def _walk(first: Any, second: Any, path: str, found: list[str], limit: int) -> None:
    if len(found) >= limit or _identical(first, second):
        return
    if isinstance(first, dict) and isinstance(second, dict):
        for key in sorted(set(first) | set(second), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in first or key not in second:
                a = _shown(first[key]) if key in first else ABSENT
                b = _shown(second[key]) if key in second else ABSENT
                _add(found, limit, f"{where} {a} ≠ {b}")
            else:
                _walk(first[key], second[key], where, found, limit)
        return
    if isinstance(first, list) and isinstance(second, list):
        for index in range(max(len(first), len(second))):
            where = f"{path}[{index}]"
            if index >= len(first) or index >= len(second):
                a = _shown(first[index]) if index < len(first) else ABSENT
                b = _shown(second[index]) if index < len(second) else ABSENT
                _add(found, limit, f"{where} {a} ≠ {b}")
            else:
                _walk(first[index], second[index], where, found, limit)
        return
    _add(found, limit, f"{path or '$'} {_shown(first)} ≠ {_shown(second)}")


def _identical(first: Any, second: Any) -> bool:
    """Equal as JSON writes them: `true` is not `1`, nor `1.0` `1` (Python's == says they are)."""
    return json.dumps(first, sort_keys=True, default=str) == json.dumps(
        second, sort_keys=True, default=str
    )


def _add(found: list[str], limit: int, difference: str) -> None:
    if len(found) < limit:
        found.append(difference)


def _shown(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return shown if len(shown) <= _VALUE_CHARS else shown[: _VALUE_CHARS - 1] + "…"
