"""What is wrong with a licence expression that does not parse, in the reader's language: the
`license-expression` library says it in English ("Invalid expression") and often without what
or where; a card's `license: "(MIT"` is told as a bracket that is not closed, at its place."""

from __future__ import annotations

from license_expression import ExpressionError, ExpressionParseError

from gemeingut.i18n import Message, _

# the library's error codes (`license_expression.PARSE_*`)
_UNBALANCED, _INVALID, _NESTING, _SEQUENCE, _OPERATORS = 2, 3, 4, 5, 6


def expression_problem(expression: str, error: ExpressionError) -> Message:
    """Why `expression` is not an SPDX expression, with the place (the character, counted
    from 1) where the library or the brackets show it."""
    unclosed = _unclosed_bracket(expression)
    if unclosed is not None:
        return _("the bracket at character {position} is not closed", position=unclosed + 1)
    code = getattr(error, "error_code", None)
    position = getattr(error, "position", -1)
    token = str(getattr(error, "token_string", "") or "")
    if isinstance(error, ExpressionParseError) and position >= 0 and token:
        where = {"position": position + 1, "token": token}
        if code == _UNBALANCED:
            return _("the closing bracket at character {position} has no opening one", **where)
        if code == _SEQUENCE:
            return _(
                "{token!r} at character {position} follows a licence without AND, OR or WITH "
                "between them",
                **where,
            )
        if code == _OPERATORS:
            return _("{token!r} at character {position} has no licence before it", **where)
        if code in (_NESTING, _INVALID):
            return _("{token!r} at character {position} cannot stand there", **where)
        return _("{token!r} at character {position} is not understood", **where)
    message = str(error)
    if "requires two or more licenses" in message:
        return _("AND, OR and WITH need a licence on each side")
    if "Invalid license key" in message:
        return _(
            "a licence id may hold only letters, digits, dots, colons, hyphens and underscores"
        )
    if "malformed expression" in message:
        return _("brackets without a licence in them")
    return _("it does not follow the SPDX syntax: licence ids joined by AND, OR, WITH and brackets")


def _unclosed_bracket(expression: str) -> int | None:
    """The index of the first opening bracket that is never closed, or None."""
    opened: list[int] = []
    for index, character in enumerate(expression):
        if character == "(":
            opened.append(index)
        elif character == ")" and opened:
            opened.pop()
    return opened[0] if opened else None
