"""Python's regular-expression errors in the reader's words.

`re.compile` describes a broken pattern in English and in its own terms ("missing ),
unterminated subpattern at position 6"). The mistakes people make by hand (a bracket not
closed or not opened, a repetition of nothing, an unknown escape, a backwards range) are said
here as what is wrong, with the character where it is (counted from 1, as a person counts);
a problem not listed keeps Python's text, the only one that says what it expected.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gemeingut.i18n import Message, _


def regex_problem(error: re.error) -> Message | str:
    """What is wrong with the pattern that raised `error`, and where."""
    problem: Message | str = error.msg
    for pattern, say in _PROBLEMS:
        match = re.fullmatch(pattern, error.msg, re.DOTALL)
        if match:
            problem = say(match)
            break
    if error.pos is None:
        return problem
    return _("at character {position}: {problem}", position=error.pos + 1, problem=problem)


def _unquoted(value: str) -> str:
    """A name as it stood in the pattern (Python's message quotes some with repr)."""
    return value[1:-1] if len(value) > 1 and value[0] == value[-1] == "'" else value


_PROBLEMS: list[tuple[str, Callable[[re.Match[str]], Message]]] = [
    (
        r"missing \), unterminated subpattern",
        lambda _m: _("a group opened here is never closed: a {closing!r} is missing", closing=")"),
    ),
    (
        r"missing \), unterminated comment",
        lambda _m: _(
            "a comment {comment!r} opened here is never closed: a {closing!r} is missing",
            comment="(?#",
            closing=")",
        ),
    ),
    (
        r"unbalanced parenthesis",
        lambda _m: _(
            "this {closing!r} closes no group: an opening {opening!r} is missing (for the "
            "character itself write '{escaped}')",
            closing=")",
            opening="(",
            escaped="\\)",
        ),
    ),
    (
        r"unterminated character set",
        lambda _m: _(
            "a character set opened here is never closed: a {closing!r} is missing", closing="]"
        ),
    ),
    (
        r"nothing to repeat",
        lambda _m: _(
            "a repetition ({repeats}) that follows nothing it could repeat (for the character "
            "itself put a backslash before it)",
            repeats="*, +, ?, {m,n}",
        ),
    ),
    (
        r"multiple repeat",
        lambda _m: _(
            "two repetitions in a row (such as {example}): one of them is too many",
            example="** +*",
        ),
    ),
    (
        r"min repeat greater than max repeat",
        lambda _m: _("a repetition {repeat} whose m is greater than its n", repeat="{m,n}"),
    ),
    (
        r"bad escape \(end of pattern\)",
        lambda _m: _("the pattern ends with a lone backslash"),
    ),
    (
        r"bad escape (.+)",
        lambda m: _(
            "'{escape}' is no escape sequence of regular expressions (for a backslash itself "
            "write two)",
            escape=m[1],
        ),
    ),
    (
        r"incomplete escape (.+)",
        lambda m: _("the escape sequence '{escape}' is incomplete", escape=m[1]),
    ),
    (
        r"bad character range (.+)",
        lambda m: _(
            "the range {range!r} runs backwards: its first character comes after its last",
            range=m[1],
        ),
    ),
    (
        r"unexpected end of pattern",
        lambda _m: _("the pattern ends in the middle of a group"),
    ),
    (
        r"unknown extension (.+)",
        lambda m: _("{extension!r} is no extension of regular expressions", extension=f"({m[1]}"),
    ),
    (
        r"look-behind requires fixed-width pattern",
        lambda _m: _(
            "a look-behind ({ahead} or {not_ahead}) must match text of one fixed length",
            ahead="(?<=…)",
            not_ahead="(?<!…)",
        ),
    ),
    (
        r"global flags not at the start of the expression",
        lambda _m: _(
            "a flag for the whole pattern, such as {flag}, must stand at its start", flag="(?i)"
        ),
    ),
    (
        r"unknown group name (.+)",
        lambda m: _("there is no group named {name!r}", name=_unquoted(m[1])),
    ),
    (
        r"invalid group reference (\d+)",
        lambda m: _("there is no group {number}", number=m[1]),
    ),
    (
        r"cannot refer to an open group",
        lambda _m: _("a group refers to itself from inside"),
    ),
    (
        r"bad character in group name (.+)",
        lambda m: _("{name!r} is no group name (letters, digits and _ only)", name=_unquoted(m[1])),
    ),
    (
        r"redefinition of group name (.+?) as group \d+; was group \d+",
        lambda m: _("the group name {name!r} is given twice", name=_unquoted(m[1])),
    ),
    (
        r"missing (.), unterminated name",
        lambda m: _("a group name is never closed: a {closing!r} is missing", closing=m[1]),
    ),
    (
        r"missing group name",
        lambda _m: _("a named group without its name"),
    ),
    (
        r"unknown flag",
        lambda _m: _("an unknown flag in {group}: known are a, i, L, m, s, u and x", group="(?…)"),
    ),
]
