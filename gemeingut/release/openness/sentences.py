"""Several reasons said as one sentence, in the reader's language: a module of its own, so that
the licence checks (which the MOF imports) and the file examination (which imports the MOF)
join them alike."""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

from gemeingut.i18n import Message, _


def joined(said: Sequence[Message | str]) -> Message | str:
    """Several sentences as one, in the reader's language."""
    return reduce(lambda first, second: _("{first}; {second}", first=first, second=second), said)
