"""A problem that says something the bundle should hold is absent, with what is absent kept as
a field beside its words: `verify_format` tells an older writer's gaps from an alteration by
these fields, so that rewording (or translating) the sentence cannot change its verdict."""

from __future__ import annotations

from gemeingut.i18n import Message


class Absent(Message):
    """A `Message` said as any other, which also names the `file` that is absent (a document
    rendered again) or the `check` (its id) that `openness.json` lacks."""

    __slots__ = ("check", "file")

    def __init__(self, said: Message, file: str, check: str | None = None) -> None:
        super().__init__(said.msgid, said.values)
        self.file = file
        self.check = check
