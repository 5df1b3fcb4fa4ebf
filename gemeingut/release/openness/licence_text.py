"""Whether a model folder gives the text of the licence it names (`licence.text`): most
licences on code and weights are granted on condition that recipients get their text (Apache-2.0
§ 4(a), MIT, BSD, GPL, MPL, EPL-2.0, EUPL, GFDL, Artistic-2.0, MulanPSL-2.0, the Llama and Gemma
terms, OpenRAIL-M); Creative Commons and
the German data licences are satisfied by a link. A LICENSE file counts as the text only where
it holds the whole of it (`licence_reference.py`): one that stops after the opening names the
licence but does not give its terms. A LICENSE file whose text we do not recognise, or cannot
compare, may hold other terms than the card's: a person has to read it, so it is said, never
passed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gemeingut.data.licenses import licence_ids
from gemeingut.i18n import _, plural
from gemeingut.model.card_header import NamedLicence
from gemeingut.release.openness.licence_reference import coverage
from gemeingut.release.openness.result import check

_TEXT_REQUIRED = re.compile(
    r"^(apache-2\.0|mit|bsd-[23]-clause|isc|bsl-1\.0|mpl-(1\.1|2\.0)|eupl-1\.[12]|"
    r"(a|l)?gpl-[123]\.[01](-only|-or-later|\+)?|gfdl-1\.[23](-only|-or-later)?|epl-2\.0|"
    r"artistic-2\.0|mulanpsl-2\.0|llama[23](\.\d)?|gemma|.*openrail.*|"
    r"bigscience-bloom-rail-1\.0)$",
    re.IGNORECASE,
)


def licence_text_check(named: NamedLicence, folder: Path) -> list[dict[str, Any]]:
    """The `licence.text` check, where there is something to check: a LICENSE file (in
    `folder`), or a licence that asks for its text to be shipped."""
    if named.file is not None:
        return [_file_check(*named.file, folder)]
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


def _file_check(licence: str, name: str, folder: Path) -> dict[str, Any]:
    """A LICENSE file whose opening names `licence`: its whole text is there, or how much of
    it is missing (a text that stops after the title does not grant what it names)."""
    content = (folder / name).read_text(encoding="utf-8", errors="replace")
    found = coverage(licence, content)
    if found is not None and found.whole:
        said = _("{file} holds the text of {licence}", file=name, licence=licence)
        return check("licence.text", True, name, said)
    if found is not None:
        said = _(
            "{file} holds only part of the text of {licence}: {missing} of its {words} words "
            "are missing ({percent} % present); ask the publisher for the whole text",
            file=name,
            licence=licence,
            missing=found.missing,
            words=found.words,
            percent=int(found.share * 100),  # rounded down: never "100 %" of a partial text
        )
        return check("licence.text", False, name, said)
    if not text_required(licence):
        said = _(
            "{file} names {licence}, which asks for no copy of its text (a reference suffices)",
            file=name,
            licence=licence,
        )
        return check("licence.text", True, name, said)
    said = _(
        "{file} opens as the text of {licence}, but gemeingut has no reference text of "
        "{licence} to compare it with: read it yourself",
        file=name,
        licence=licence,
    )
    return check("licence.text", False, name, said)


def text_required(expression: str | None) -> list[str]:
    """The licences in `expression` that are granted only with their text."""
    return [key for key in licence_ids(expression) if _TEXT_REQUIRED.match(key)]
