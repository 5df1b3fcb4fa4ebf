"""Whether a model folder gives the text of the licence it names (`licence.text`): most
licences on code and weights are granted on condition that recipients get their text (Apache-2.0
§ 4(a), MIT, BSD, GPL, MPL, EUPL, the Llama and Gemma terms, OpenRAIL-M); Creative Commons and
the German data licences are satisfied by a link. A LICENSE file whose text we do not recognise
may hold other terms than the card's: a person has to read it, so it is said, never passed.
"""

from __future__ import annotations

import re
from typing import Any

from gemeingut.data.licenses import licence_ids
from gemeingut.i18n import _, plural
from gemeingut.model.card_header import NamedLicence
from gemeingut.release.openness.result import check

_TEXT_REQUIRED = re.compile(
    r"^(apache-2\.0|mit|bsd-[23]-clause|isc|bsl-1\.0|mpl-2\.0|eupl-1\.[12]|"
    r"(a|l)?gpl-[23]\.[01](-only|-or-later)?|llama[23](\.\d)?|gemma|.*openrail.*|"
    r"bigscience-bloom-rail-1\.0)$",
    re.IGNORECASE,
)


def licence_text_check(named: NamedLicence) -> list[dict[str, Any]]:
    """The `licence.text` check, where there is something to check: a LICENSE file, or a
    licence that asks for its text to be shipped."""
    if named.file is not None:
        said = _("{file} holds the text of {licence}", file=named.file[1], licence=named.file[0])
        return [check("licence.text", True, named.file[1], said)]
    if named.unrecognised is not None:
        said = _(
            "{file} not recognised: check yourself whether it matches the card ({licence})",
            file=named.unrecognised,
            licence=named.card or "-",
        )
        return [check("licence.text", False, named.unrecognised, said)]
    needing = text_required(named.licence)
    if not needing:
        return []
    said = plural(
        len(needing),
        _(
            "no LICENSE file: {licences} asks that its text be given with the model; ask the "
            "publisher for it",
            licences=", ".join(needing),
        ),
        _(
            "no LICENSE file: {licences} ask that their texts be given with the model; ask the "
            "publisher for them",
            licences=", ".join(needing),
        ),
    )
    return [check("licence.text", False, named.evidence, said)]


def text_required(expression: str | None) -> list[str]:
    """The licences in `expression` that are granted only with their text."""
    return [key for key in licence_ids(expression) if _TEXT_REQUIRED.match(key)]
