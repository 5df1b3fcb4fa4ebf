"""Texts the extractor cannot see (help texts, the API's description) added to the template
that `make messages` extracted from the code, so that they get their German like any `_()`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def add_to_template(pot: Path, msgids: Iterable[str]) -> None:
    """Add `msgids` to the message template `pot`, each once."""
    from babel.messages.pofile import read_po, write_po

    with pot.open("rb") as handle:
        template = read_po(handle)
    for msgid in msgids:
        if msgid not in template:
            template.add(msgid)
    with pot.open("wb") as handle:
        write_po(handle, template, width=100, omit_header=False)
