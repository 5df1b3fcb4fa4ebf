"""Secrets the server needs (an engine's API key, the identity provider's client secret) come
from environment variables, never from the command line, where `ps` shows them to everyone."""

from __future__ import annotations

import os

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _


def secret_from_environment(name: str, hint: Message) -> str:
    """The value of the variable `name`; an unset or empty one is a user mistake, said so."""
    value = os.environ.get(name)
    if value is None:
        raise InputError(_("the environment variable {name} is not set", name=name), hint)
    if not value:
        raise InputError(_("the environment variable {name} is empty", name=name), hint)
    return value
