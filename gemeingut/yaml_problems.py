"""PyYAML's syntax problems in the reader's words.

PyYAML describes a broken file in English and in its own terms ("expected the node content,
but found '<stream end>'"). The problems people make by hand (an unclosed quote or bracket, a
wrong indentation, a tab, a colon inside a text) are said here as what is wrong and what to do;
a problem not listed keeps the parser's text, which is the only one that says what it expected.
"""

from __future__ import annotations

import re

from gemeingut.i18n import Message, _

_END_OF_FILE = "'<stream end>'"


def said_problem(problem: str) -> Message | None:
    """The reader's words for PyYAML's `problem` text; None where it is not one we know."""
    for pattern, say in _PROBLEMS:
        match = re.fullmatch(pattern, problem)
        if match:
            return say(match)
    return None


def _found(token: str) -> Message:
    """What the parser found, for a person: the file's end, an indented block's end, or the
    character itself."""
    if token == _END_OF_FILE:
        return _("the file ends")
    if token == "'<block end>'":
        return _("an indented block ends")
    if token.startswith("'<"):
        return _("a new entry starts")
    return _("{token} stands there", token=token)


def _unclosed_flow(closing: str):
    def say(match: re.Match[str]) -> Message:
        return _(
            "a {closing} is missing or an item lacks its comma ({found})",
            closing=f"'{closing}'",
            found=_found(match[1]),
        )

    return say


_PROBLEMS = [
    (
        r"found unexpected end of stream",
        lambda _m: _("the file ends inside a quoted text: a closing quote is missing"),
    ),
    (
        rf"expected the node content, but found {re.escape(_END_OF_FILE)}",
        lambda _m: _(
            "the file ends where a value is still expected: an opening bracket is not closed"
        ),
    ),
    (
        r"expected the node content, but found (.+)",
        lambda m: _("a value is expected here, but {found}", found=_found(m[1])),
    ),
    (r"expected ',' or '\]', but got (.+)", _unclosed_flow("]")),
    (r"expected ',' or '\}', but got (.+)", _unclosed_flow("}")),
    (  # before the next: a text after a quoted value reads as a value where none may stand
        r"expected <block end>, but found '<scalar>'",
        lambda _m: _(
            "a value where the lines above allow none: check the indentation, or put the whole "
            "text in quotes (a text that starts with a quote must end with it)"
        ),
    ),
    (
        r"expected <block end>, but found (.+)",
        lambda _m: _("the indentation does not fit the lines above: indent with spaces alike"),
    ),
    (
        r"mapping values are not allowed here",
        lambda _m: _(
            "a colon followed by a space where no key can start: put the text in quotes, or "
            "check the indentation"
        ),
    ),
    (
        r"could not find expected ':'",
        lambda _m: _(
            "a key without its colon (key: value), or a text that goes on to the next line "
            "without indentation"
        ),
    ),
    (
        r"found character '\\t' that cannot start any token",
        lambda _m: _("a tab character: YAML indents with spaces only"),
    ),
    (
        r"found character (.+) that cannot start any token",
        lambda m: _("{character} cannot start a value: put the text in quotes", character=m[1]),
    ),
    (
        r"sequence entries are not allowed here",
        lambda _m: _("a list item (-) where none can start: check the indentation"),
    ),
    (
        r"found undefined alias (.+)",
        lambda m: _(
            "the alias *{name} names no anchor (&{name}) above it: put a text that starts "
            "with * in quotes",
            name=m[1].strip("'"),
        ),
    ),
    (
        r"found unknown escape character (.+)",
        lambda m: _(
            "unknown escape sequence {character} in a text in double quotes: write two "
            "backslashes for one, or use single quotes",
            character="\\" + m[1].strip("'"),
        ),
    ),
    (
        r"expected a comment or a line break, but found (.+)",
        lambda _m: _("more text after a value on the same line: put the whole text in quotes"),
    ),
    (
        r"expected alphabetic or numeric character, but found (.+)",
        lambda _m: _("& or * without a name: put a text that starts with & or * in quotes"),
    ),
]
