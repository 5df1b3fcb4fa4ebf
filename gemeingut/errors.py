"""User-facing errors: what was wrong, where, and what to do.

The CLI turns a `GemeingutError` into one line plus a hint and exit code 2; anything else is a
bug in gemeingut and keeps its traceback.
"""

from __future__ import annotations

from gemeingut.i18n import Message, _, text


class GemeingutError(Exception):
    """A mistake the user can fix (bad recipe, missing file, tampered bundle ...)."""

    def __init__(self, message: str | Message, hint: str | Message = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __reduce__(self) -> tuple:
        """Keep the hint when the error crosses from a worker process to the parent."""
        return (type(self), (self.message, self.hint))

    def __str__(self) -> str:
        return text(self.explained())

    def explained(self) -> str | Message:
        """The message with its hint, put into words only when it is said (a server says it
        in each request's language)."""
        if not self.hint:
            return self.message
        return _("{message} (hint: {hint})", message=self.message, hint=self.hint)


class RecipeError(GemeingutError):
    """The recipe file cannot be read or does not validate."""


class InputError(GemeingutError):
    """An input path or artifact is missing, unreadable or of the wrong kind."""


class VerifyError(GemeingutError):
    """A release bundle does not match its MANIFEST."""
