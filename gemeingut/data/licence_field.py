"""The licence a record states of itself in its field `license`, read one way for a document
`data curate` reads (`data.readers`) and for a line of a fine-tuning file
(`model.finetune_line_licences`), so that the same field gives the same licence in both. A
missing or null field states none (the licence given with the source covers the record), an
empty one "no licence"; anything but a text (`["MIT"]`, `{"id": "MIT"}`, 5) is refused with
what it holds and what a valid value looks like, never read as Python's text of it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from license_expression import ExpressionError

from gemeingut.data.licenses import parse_expression
from gemeingut.i18n import Message, _, text

LICENCE_FIELD = "license"
_SHOWN_CHARS = 60  # of a value quoted in a message; a long one ends in "…"
# What a valid value looks like: said wherever an invalid one is refused.
VALID_LICENCE = _(
    'write the licence as one SPDX expression, such as "license": "CC-BY-4.0" or '
    '"license": "MIT OR Apache-2.0"'
)


class InvalidLicence(ValueError):
    """A `license` field that holds no licence: `problem` says what it holds, in the reader's
    language (`VALID_LICENCE` what a valid value looks like)."""

    def __init__(self, problem: Message) -> None:
        super().__init__(text(problem, "en"))
        self.problem = problem


def stated_licence(record: Mapping[str, Any]) -> str | None:
    """The licence `record` states (blanks stripped; "" for an empty field), None where it
    states none; raises `InvalidLicence` for a value that is no text."""
    value = record.get(LICENCE_FIELD)
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip()
    raise InvalidLicence(
        _(
            "the field {field!r} holds {value}, not a text",
            field=LICENCE_FIELD,
            value=_shown(value),
        )
    )


def checked_expression(licence: str) -> str:
    """`licence` where it is empty or an SPDX expression; raises `InvalidLicence` for text
    that is none (`MIT AND`), which no rating or record can name as a licence."""
    try:
        parse_expression(licence)
    except ExpressionError:
        raise InvalidLicence(
            _(
                "the field {field!r} holds {value}, which is no SPDX licence expression",
                field=LICENCE_FIELD,
                value=_shown(licence),
            )
        ) from None
    return licence


def _shown(value: Any) -> str:
    """The value as JSON writes it (as the file holds it), shortened where long."""
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= _SHOWN_CHARS else shown[: _SHOWN_CHARS - 1] + "…"
