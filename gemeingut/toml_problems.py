"""tomllib's syntax problems in the reader's words, with the line and column.

tomllib says a broken file in English with its place at the end ("Expected ']' at the end of a
table declaration (at line 3, column 10)"). Its problems are said here in the reader's language
and its place as `yamlfile.syntax_problem` says a YAML file's; a problem not listed keeps the
parser's text, which is the only one that says what it expected.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

from gemeingut.i18n import Message, _

_PLACE = re.compile(
    r"(?P<problem>.*) \(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)",
    re.S,
)


def _key(said: str) -> str:
    """A key as the recipe writes it (`model.training`), not as tomllib's Python repr."""
    try:
        key = ast.literal_eval(said)
    except (ValueError, SyntaxError):
        return said
    return ".".join(map(str, key)) if isinstance(key, tuple) else str(key)


# The parser's fixed problems, each said as it is: a Message is put into words when shown.
_FIXED: dict[str, Message] = {
    "Expected ']' at the end of a table declaration": _("a table's name lacks its closing ']'"),
    "Expected ']]' at the end of an array declaration": _(
        "an array of tables' name lacks its closing ']]'"
    ),
    "Expected '=' after a key in a key/value pair": _(
        "a key lacks its '=' and value (key = value)"
    ),
    "Expected newline or end of document after a statement": _(
        "more follows a value on its line: one key = value per line"
    ),
    "Invalid value": _("the value is none TOML knows: put a text in double quotes"),
    "Invalid statement": _("the line is neither a table nor key = value"),
    "Invalid initial character for a key part": _(
        "a key starts with a character a key may not start with"
    ),
    "Unterminated string": _("a text has no closing quote"),
    "Unclosed array": _("a list lacks its closing ']' or a comma between items"),
    "Unclosed inline table": _("an inline table lacks its closing '}' or a comma between items"),
    "Unescaped '\\' in a string": _("a backslash in a text starts no escape"),
    "Invalid hex value": _("a \\u or \\U escape holds no valid hex number"),
    "Escaped character is not a Unicode scalar value": _("a \\u or \\U escape names no character"),
    "Invalid date or datetime": _("a date or time is not a valid one"),
    "Cannot overwrite a value": _("a key is given twice"),
}

# The problems that name a key or a character, said with it.
_NAMED: list[tuple[str, Callable[[re.Match[str]], Message]]] = [
    (r"Cannot declare (.+) twice", lambda m: _("{key!r} is declared twice", key=_key(m[1]))),
    (
        r"Duplicate inline table key (.+)",
        lambda m: _("{key!r} is given twice", key=_key(m[1])),
    ),
    (
        r"Cannot (?:mutate immutable namespace|redefine namespace) (.+)",
        lambda m: _("{key!r} is defined once already and cannot be added to", key=_key(m[1])),
    ),
    (
        r"(?:Illegal|Found invalid) character (.+)",
        lambda m: _("the character {char} may not stand here", char=m[1]),
    ),
]


def toml_problem(path: Path, exc: tomllib.TOMLDecodeError) -> Message:
    """'file, line N, column M: not valid TOML (…)': where the TOML breaks and what is wrong,
    in the reader's words; at the file's end without a line, as the parser says it."""
    said = str(exc)
    place = _PLACE.fullmatch(said)
    found = place["problem"] if place else said
    problem = _said(found) or found
    if place is None:
        return _("{path}: not valid TOML ({problem})", path=str(path), problem=problem)
    if place["line"] is None:
        return _("{path}, at its end: not valid TOML ({problem})", path=str(path), problem=problem)
    return _(
        "{path}, line {line}, column {column}: not valid TOML ({problem})",
        path=str(path),
        line=int(place["line"]),
        column=int(place["column"]),
        problem=problem,
    )


def _said(problem: str) -> Message | None:
    if problem in _FIXED:
        return _FIXED[problem]
    for pattern, say in _NAMED:
        match = re.fullmatch(pattern, problem, re.S)
        if match:
            return say(match)
    return None
