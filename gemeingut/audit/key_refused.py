"""An endpoint that refuses the audit's API key (401, 403) says so, never that it lacks a
tokenizer or a model: the first request of an audit (`/tokenizer_info`) is the one a missing
or wrong key fails, and any other reading sends the user looking in the wrong place."""

from __future__ import annotations

import httpx

from gemeingut.errors import InputError
from gemeingut.i18n import _

REFUSED_STATUSES = (401, 403)


class KeyRefused(InputError):
    """The server refused the request for its key: none was sent, or not one it accepts.
    The command that read the key from a variable names it (`naming`)."""

    def __init__(self, url: str, status: int, said: str, sent: bool) -> None:
        if sent:
            message = _(
                "{url} refused the API key ({status}: {said})", url=url, status=status, said=said
            )
        else:
            message = _(
                "{url} wants an API key, and none was sent ({status}: {said})",
                url=url,
                status=status,
                said=said,
            )
        super().__init__(message, _("give a key the server accepts with --api-key-env VARIABLE"))
        self.url, self.status, self.said, self.sent = url, status, said, sent

    def __reduce__(self) -> tuple:
        return (type(self), (self.url, self.status, self.said, self.sent))

    def naming(self, variable: str) -> InputError:
        """This error with the variable the key was read from (`--api-key-env`)."""
        if self.sent:
            hint = _(
                "put a key the server accepts into the variable {variable} (--api-key-env "
                "names which variable holds the key)",
                variable=variable,
            )
        else:
            hint = _(
                "the variable {variable} is not set: set it to the server's API key, or name "
                "the variable that holds the key with --api-key-env",
                variable=variable,
            )
        return InputError(self.message, hint)


def refuse_key(url: str, response: httpx.Response, sent: bool) -> None:
    """Raise `KeyRefused` where `response` refused the request for its key. A 403 about the
    model (a valid key not scoped to it: gemeingut's `model_not_allowed`, any error naming the
    `model` parameter) is no key problem: it reaches the message that names the model."""
    if response.status_code in REFUSED_STATUSES and not _about_the_model(response):
        raise KeyRefused(url, response.status_code, server_said(response), sent)


def _about_the_model(response: httpx.Response) -> bool:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    if not isinstance(error, dict):
        return False
    return error.get("code") == "model_not_allowed" or error.get("param") == "model"


def server_said(response: httpx.Response) -> str:
    """The server's own words (OpenAI's `error.message`), else the start of its answer."""
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200]
