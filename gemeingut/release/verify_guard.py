"""The one guard around every check `verify` runs on a bundle's records: a tampered bundle,
however malformed, is a problem named (exit 1), never a traceback nor a user error (exit 2)."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TypeVar

from gemeingut.errors import GemeingutError
from gemeingut.i18n import Message, _
from gemeingut.json_records import why_unreadable

T = TypeVar("T")

# What a reader of a record raises on content it does not expect: a key removed, a value of
# another type, a number too large for exp(), JSON nested too deeply, a file that cannot be
# read, rdflib's BadSyntax (a SyntaxError), a header cut short (struct.error), and gemeingut's
# own errors, which name their file already.
READ_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    ArithmeticError,
    RecursionError,
    OSError,
    SyntaxError,
    struct.error,
    GemeingutError,
)


def unreadable(exc: BaseException, file: str | None = None) -> str | Message:
    """A record that could not be read back, named by its file where the check knows it."""
    if isinstance(exc, GemeingutError):
        return exc.message
    said = why_unreadable(exc, released=True)  # the bundle's records: a release wrote them
    if file is not None:
        return _("{file} cannot be read back: {error}", file=file, error=said)
    return _("a record of the bundle cannot be read back: {error}", error=said)


def guarded(check: Callable[[], list[T]], file: str | None = None) -> list[T | str | Message]:
    """The problems `check` finds, or the one that stopped it."""
    try:
        return list(check())
    except READ_ERRORS as exc:
        return [unreadable(exc, file)]
