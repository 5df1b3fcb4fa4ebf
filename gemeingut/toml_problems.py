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


_Say = Callable[[re.Match[str]], Message]
_PROBLEMS: list[tuple[str, _Say]] = [
    (
        r"Expected '\]' at the end of a table declaration",
        lambda _m: _("a table's name lacks its closing ']'"),
    ),
    (
        r"Expected '\]\]' at the end of an array declaration",
        lambda _m: _("an array of tables' name lacks its closing ']]'"),
    ),
    (
        r"Expected '=' after a key in a key/value pair",
        lambda _m: _("a key lacks its '=' and value (key = value)"),
    ),
    (
        r"Expected newline or end of document after a statement",
        lambda _m: _("more follows a value on its line: one key = value per line"),
    ),
    (r"Invalid value", lambda _m: _("the value is none TOML knows: put a text in double quotes")),
    (r"Invalid statement", lambda _m: _("the line is neither a table nor key = value")),
    (
        r"Invalid initial character for a key part",
        lambda _m: _("a key starts with a character a key may not start with"),
    ),
    (r"Unterminated string", lambda _m: _("a text has no closing quote")),
    (r"Unclosed array", lambda _m: _("a list lacks its closing ']' or a comma between items")),
    (
        r"Unclosed inline table",
        lambda _m: _("an inline table lacks its closing '}' or a comma between items"),
    ),
    (r"Unescaped '\\' in a string", lambda _m: _("a backslash in a text starts no escape")),
    (r"Invalid hex value", lambda _m: _("a \\u or \\U escape holds no valid hex number")),
    (
        r"Escaped character is not a Unicode scalar value",
        lambda _m: _("a \\u or \\U escape names no character"),
    ),
    (r"Invalid date or datetime", lambda _m: _("a date or time is not a valid one")),
    (r"Cannot overwrite a value", lambda _m: _("a key is given twice")),
    (r"Cannot declare (.+) twice", lambda m: _("{key!r} is declared twice", key=_key(m[1]))),
    (
        r"Duplicate inline table key (.+)",
        lambda m: _("{key!r} is given twice", key=_key(m[1])),
    ),
    (
        r"Cannot (?:mutate immutable namespace|redefine namespace) (.+)",
        lambda m: _("{key!r} is defined once already and cannot be added to", key=_key(m[1])),
    ),
    (r"Illegal character (.+)", lambda m: _("the character {char} may not stand here", char=m[1])),
    (
        r"Found invalid character (.+)",
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
    for pattern, say in _PROBLEMS:
        match = re.fullmatch(pattern, problem, re.S)
        if match:
            return say(match)
    return None
