"""Where two versions of a record or document differ, said so that a reader sees what changed:
for JSON and YAML the first differing keys (`path a ≠ b`), for text the first differing line.

`verify` says it of a document that is not the one the files give, `reproduce` of a file that
is not the one the build recorded. Values are shown as JSON; a long one as a window around its
first differing character, the same on both sides; `—` stands for absent. Ids derived from the
release (the uuid in every SPDX `spdxId`, CycloneDX's `serialNumber`) change with any input, so
they are compared apart: the keys whose meaning differs come first, the ids in one line after.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from gemeingut.i18n import Message, _

ABSENT = "—"
SHOWN = 5  # differences named; the rest are left to a diff tool
VALUE_CHARS = 72  # a sha256 in quotes, whole
_BEFORE = 24  # characters of a long value shown before its first difference
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ID = "<id>"  # a derived uuid, in both versions alike
_PARSERS = {".json": json.loads, ".yml": yaml.safe_load, ".yaml": yaml.safe_load}
NONE = object()  # the value at a place where one version has no key or item


def json_places(first: Any, second: Any, limit: int = SHOWN) -> list[tuple[str, Any, Any]]:
    """The first `limit` places where `second` differs from `first`: the path of keys, and
    each version's value there (`NONE` where it has none), for a reader that names them."""
    found: list[tuple[str, Any, Any]] = []
    _walk(first, second, "", found, limit)
    return found


def json_differences(first: Any, second: Any, limit: int = SHOWN) -> list[str]:
    """The first `limit` places where `second` differs from `first`: `path first ≠ second`."""
    return [_said(*place) for place in json_places(first, second, limit)]


def _said(where: str, first: Any, second: Any) -> str:
    if first is NONE or second is NONE:
        a = ABSENT if first is NONE else shown(first)
        b = ABSENT if second is NONE else shown(second)
    else:
        a, b = shown_pair(first, second)
    return f"{where} {a} ≠ {b}"


def text_difference(first: str, second: str) -> Message | None:
    """The first line where `second` differs from `first`: `line N: "…" ≠ "…"`."""
    if first == second:
        return None
    one, two = first.splitlines(), second.splitlines()
    for number, (a, b) in enumerate(zip(one, two, strict=False), start=1):
        if a != b:
            return _line(number, *shown_pair(a, b))
    if len(one) != len(two):
        number = min(len(one), len(two)) + 1
        a = shown(one[number - 1]) if len(one) >= number else ABSENT
        b = shown(two[number - 1]) if len(two) >= number else ABSENT
        return _line(number, a, b)
    return _("only the line ends differ")


def _line(number: int, first: str, second: str) -> Message:
    return _("line {number}: {first} ≠ {second}", number=str(number), first=first, second=second)


def differences(name: str, first: str, second: str, limit: int = SHOWN) -> list[str | Message]:
    """Keys for a JSON or YAML file both of whose versions parse (derived ids apart, after
    the rest), else the first line."""
    parse = next((p for suffix, p in _PARSERS.items() if name.endswith(suffix)), None)
    if parse is not None:
        try:
            one, two = parse(first), parse(second)
        except (ValueError, yaml.YAMLError):
            one = two = None
        found: list[str | Message] = [*json_differences(_ids_apart(one), _ids_apart(two), limit)]
        ids_one, ids_two = _UUID.findall(first), _UUID.findall(second)
        if ids_one != ids_two:
            shown = shown_pair(ids_one[0] if ids_one else "", ids_two[0] if ids_two else "")
            found.append(_("derived ids: {first} ≠ {second}", first=shown[0], second=shown[1]))
        if one is not None and found:
            return found
    # the same JSON in other bytes (key order, spacing): the bytes are what differs
    line = text_difference(first, second)
    return [line] if line is not None else []


def _ids_apart(value: Any) -> Any:
    """`value` with every uuid in its strings (and keys) replaced by one placeholder."""
    if isinstance(value, str):
        return _UUID.sub(_ID, value)
    if isinstance(value, dict):
        return {_ids_apart(key): _ids_apart(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_ids_apart(item) for item in value]
    return value


def _walk(first: Any, second: Any, path: str, found: list, limit: int) -> None:
    if len(found) >= limit or _identical(first, second):
        return
    if isinstance(first, dict) and isinstance(second, dict):
        for key in sorted(set(first) | set(second), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in first or key not in second:
                _add(found, limit, (where, first.get(key, NONE), second.get(key, NONE)))
            else:
                _walk(first[key], second[key], where, found, limit)
        return
    if isinstance(first, list) and isinstance(second, list):
        for index in range(max(len(first), len(second))):
            where = f"{path}[{index}]"
            if index >= len(first) or index >= len(second):
                a = first[index] if index < len(first) else NONE
                b = second[index] if index < len(second) else NONE
                _add(found, limit, (where, a, b))
            else:
                _walk(first[index], second[index], where, found, limit)
        return
    _add(found, limit, (path or "$", first, second))


def _identical(first: Any, second: Any) -> bool:
    """Equal as JSON writes them: `true` is not `1`, nor `1.0` `1` (Python's == says they are)."""
    return json.dumps(first, sort_keys=True, default=str) == json.dumps(
        second, sort_keys=True, default=str
    )


def _add(found: list, limit: int, difference: tuple[str, Any, Any]) -> None:
    if len(found) < limit:
        found.append(difference)


def shown(value: Any) -> str:
    """A value as JSON, a long one cut (a diff tool shows the rest)."""
    said = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return said if len(said) <= VALUE_CHARS else said[: VALUE_CHARS - 1] + "…"


def shown_pair(first: Any, second: Any) -> tuple[str, str]:
    """Both values as JSON; where one is too long, the same window of each around the first
    character in which they differ (a difference after the cut would be hidden)."""
    one, two = (json.dumps(v, ensure_ascii=False, sort_keys=True) for v in (first, second))
    if max(len(one), len(two)) <= VALUE_CHARS:
        return one, two
    quoted = isinstance(first, str) and isinstance(second, str)
    if quoted:  # two lines of text: the window inside the quotes, which stay around it
        one, two = one[1:-1], two[1:-1]
    at = next((i for i, (a, b) in enumerate(zip(one, two, strict=False)) if a != b), None)
    at = min(len(one), len(two)) if at is None else at
    start = max(0, at - _BEFORE)
    width = VALUE_CHARS - 2 * quoted
    shown = (_window(one, start, width), _window(two, start, width))
    return (f'"{shown[0]}"', f'"{shown[1]}"') if quoted else shown


def _window(shown: str, start: int, width: int) -> str:
    end = start + width - 2
    return ("…" if start > 0 else "") + shown[start:end] + ("…" if end < len(shown) else "")
