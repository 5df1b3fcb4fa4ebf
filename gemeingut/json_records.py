"""JSON records a person may have edited by hand (config.json, finetune.json, artifact.json …):
read as objects, with the file named when one is not, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gemeingut.errors import GemeingutError, InputError
from gemeingut.i18n import Message, _
from gemeingut.os_errors import os_error


def read_object(path: Path, hint: Message) -> dict[str, Any] | None:
    """The JSON object in `path`; None when there is no such file. `hint` says what to do
    when the file is not UTF-8 JSON or holds something other than an object."""
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(
            _("{path} cannot be read: {error}", path=str(path), error=why_unreadable(error)), hint
        ) from None
    if not isinstance(value, dict):
        raise InputError(_("{path} does not hold a JSON object", path=str(path)), hint)
    return value


def read_utf8(path: Path) -> str:
    """The text of a file a user writes (a suite, community findings, a fine-tuning text); one
    that is not UTF-8 is said with the line to mend and the byte in that line, one the system
    refuses (missing, a folder, no permission) as the CLI says it (`os_errors`), in the
    reader's words (Python's are English and count the bytes of the whole file)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        byte = exc.start - exc.object.rfind(b"\n", 0, exc.start)  # from 1, in its line
        said = _("not UTF-8 text (byte {position})", position=str(byte))
        raise InputError(
            _("{path} cannot be read: {error}", path=f"{path}:{line}", error=said),
            _("save it as UTF-8"),
        ) from None
    except OSError as exc:
        problem, hint, _code = os_error(exc)
        raise InputError(problem, hint or _("check the file")) from None


def record_lines(text: str) -> list[str]:
    """The lines of a JSON Lines text (or a MANIFEST): split at "\\n" alone, the format's
    separator, a "\\r" before it dropped. `str.splitlines` also splits at U+0085, U+2028,
    U+2029 and other separators, which a JSON string holds unescaped (`json.dumps` with
    `ensure_ascii=False` writes them as they are): a model's answer with one broke its record
    in two."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    return lines[:-1] if lines and lines[-1] == "" else lines


def why_unreadable(exc: BaseException, released: bool = False) -> str | Message:
    """What is wrong with a record that cannot be read, in the reader's words (the parsers'
    own are English): the line and column of broken JSON, the byte that is not UTF-8, the
    field that is missing, a value of another kind (`verify_shapes` names its field first):
    `released` where the record is one a release wrote (a bundle's), else by its format alone
    (a foreign folder's file was written by no release)."""
    if isinstance(exc, GemeingutError):
        return exc.message
    if isinstance(exc, json.JSONDecodeError):
        if not exc.doc.strip():
            return _("the file is empty")
        return _(
            "not valid JSON (line {line}, column {column})",
            line=str(exc.lineno),
            column=str(exc.colno),
        )
    if isinstance(exc, UnicodeDecodeError):
        return _("not UTF-8 text (byte {position})", position=str(exc.start))
    if isinstance(exc, KeyError):
        return _("the field {field} is missing", field=str(exc))
    if isinstance(exc, RecursionError):
        return _("nested too deeply to be read")
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    # a value of another kind: Python's words are English and name no field
    if isinstance(exc, TypeError | AttributeError) or _not_a_number(exc):
        if released:
            return _("a value is not of the kind a release writes")
        return _("a value is not of the kind the file's format has")
    said = str(exc)
    said = said if len(said) <= 400 else said[:400] + " …"
    return f"{type(exc).__name__}: {said}" if said else type(exc).__name__


def _not_a_number(exc: BaseException) -> bool:
    """`int()` or `float()` of a text that is no number (a count written as a word)."""
    said = str(exc)
    return isinstance(exc, ValueError) and said.startswith(
        ("could not convert string to float", "invalid literal for int()")
    )


# What Python's JSON reader says (in English), said in the reader's language.
_JSON_PROBLEMS = {
    "Expecting value": _("a value is missing (text in double quotes, a number, true or false)"),
    "Expecting ',' delimiter": _("a comma is missing"),
    "Expecting ':' delimiter": _("a colon is missing after a field's name"),
    "Expecting property name enclosed in double quotes": _(
        "a field's name in double quotes is missing (or a comma is too many)"
    ),
    "Unterminated string": _("a text has no closing double quote"),
    "Invalid control character": _("a text holds a line break or control character"),
    "Invalid \\escape": _("a backslash starts no valid escape"),
    "Invalid \\uXXXX escape": _("a backslash starts no valid escape"),
    "Extra data": _("more follows the object (one object per line)"),
    "Illegal trailing comma": _("a comma is too many before a closing bracket"),
}


def json_problem(error: json.JSONDecodeError) -> Message:
    """What is wrong with a line of JSON, in the reader's words: the parser's own are English."""
    for start, problem in _JSON_PROBLEMS.items():
        if error.msg.startswith(start):
            return problem
    return _("the JSON cannot be read")


def json_line_problem(name: str, number: int, error: json.JSONDecodeError) -> Message:
    """A broken line of a JSON Lines file, said with the file's line and the column in it, in
    the reader's words (the parser's are English, "Expecting value", and count the line's own
    end as a second line)."""
    return _(
        "{path}, line {number}, column {column}: not valid JSON: {problem}",
        path=name,
        number=str(number),
        column=str(min(error.pos, len(error.doc.rstrip("\r\n"))) + 1),
        problem=json_problem(error),
    )
