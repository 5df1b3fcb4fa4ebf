"""Whether a model folder gives the text of the licence it names (`licence.text`): most
licences on code and weights are granted on condition that recipients get their text (Apache-2.0
§ 4(a), MIT, BSD, GPL, MPL, EPL-2.0, EUPL, GFDL, Artistic-2.0, MulanPSL-2.0, the Llama and Gemma
terms, OpenRAIL-M); Creative Commons and
the German data licences are satisfied by a link. A LICENSE file counts as the text only where
it holds the whole of it (`licence_reference.py`): one that stops after the opening names the
licence but does not give its terms. It counts only where it holds nothing more
(`licence_additions.py`): a rider appended to the text ("Commons Clause") makes it another
licence, not the open one it names, and the check fails with the words added.

A model folder's LICENSE is checked as a release bundle's `model/LICENSE` is
(`file_text_check`, the same states): a text of terms gemeingut has no reference text of (the
Llama, Gemma, OpenRAIL terms, MulanPSL-2.0) is the publisher's, "given, not compared", and
passes; it fails where its opening shows another licence's text, or is missing, and, for terms
known to restrict use (Llama, Gemma, OpenRAIL: `use_restrictions.py`), where the text states
none of their restrictions (`text_restrictions.py`): a title line is not the terms. A LICENSE
whose text we do not recognise while the card names a licence we could compare (or none) may
hold other terms than the card's: a person has to read it, so it is said, never passed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gemeingut.data.licence_texts import licence_of_text
from gemeingut.data.licenses import licence_ids
from gemeingut.i18n import Message, _, plural
from gemeingut.model.card_header import NamedLicence
from gemeingut.release.openness.licence_additions import added_text
from gemeingut.release.openness.licence_reference import coverage, reference_text, text_id
from gemeingut.release.openness.result import check
from gemeingut.release.openness.sentences import joined
from gemeingut.release.openness.text_restrictions import text_restrictions
from gemeingut.release.openness.use_restrictions import use_restrictions

_TEXT_REQUIRED = re.compile(
    r"^(apache-2\.0|mit|bsd-[23]-clause|isc|bsl-1\.0|mpl-(1\.1|2\.0)|eupl-1\.[12]|"
    r"(a|l)?gpl-[123]\.[01](-only|-or-later|\+)?|gfdl-1\.[23](-only|-or-later)?|epl-2\.0|"
    r"artistic-2\.0|mulanpsl-2\.0|llama[23](\.\d)?|gemma|.*openrail.*|"
    r"bigscience-bloom-rail-1\.0)$",
    re.IGNORECASE,
)


FOREIGN_REMEDY = _("ask the publisher for the whole text")


def licence_text_check(named: NamedLicence, folder: Path) -> list[dict[str, Any]]:
    """The `licence.text` check, where there is something to check: a LICENSE file (in
    `folder`), or a licence that asks for its text to be shipped."""
    if named.file is not None:
        licence, name = named.file
        # a card that names another licence than the file's: its text is not the file's
        others = [
            key
            for key in (text_required(named.card) if named.disagreement else [])
            if text_id(key).lower() != text_id(licence).lower()  # GPL-3.0-only, -or-later
        ]
        return [
            _combined(
                [file_text_check(folder, name, k, FOREIGN_REMEDY) for k in [licence, *others]]
            )
        ]
    if named.unrecognised is not None:
        needing = text_required(named.licence)
        if needing and all(reference_text(key) is None for key in needing):
            # terms gemeingut has no reference text of (MulanPSL-2.0, say): given, not compared
            checks = [
                file_text_check(folder, named.unrecognised, k, FOREIGN_REMEDY) for k in needing
            ]
            return [_combined(checks)]
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


def file_text_check(root: Path, file: str, licence: str, remedy: Message) -> dict[str, Any]:
    """Whether `file` (below `root`) gives the text of `licence`, in one of its states: the
    whole text compared with gemeingut's reference (or how much is missing), a licence that
    asks for no copy of its text, or the text as given for a licence gemeingut has no
    reference of: not compared, failed only where its opening shows another licence's text.
    `remedy` says how this kind of folder gets the text. The one check for a release bundle's
    `model/LICENSE` and any model folder's LICENSE."""
    content = (root / file).read_text(encoding="utf-8", errors="replace")
    found = coverage(licence, content)
    if found is not None and found.whole:
        added = added_terms(file, licence, content)
        if added is not None:
            return check("licence.text", False, file, added)
        said = _("{file} holds the text of {licence}", file=file, licence=licence)
        return check("licence.text", True, file, said)
    other = sorted(licence_of_text(content))
    if other and text_id(licence).lower() not in {text_id(o).lower() for o in other}:
        said = _(
            "{file} is the text of {found}, not of {licence}; {remedy}",
            file=file,
            found=" / ".join(other),
            licence=licence,
            remedy=remedy,
        )
        return check("licence.text", False, file, said)
    if found is not None:  # words it shares with the text of another licence are no part of it
        said = _(
            "{file} holds only part of the text of {licence}: {missing} of its {words} words "
            "are missing ({percent} % present); {remedy}",
            file=file,
            licence=licence,
            missing=found.missing,
            words=found.words,
            percent=int(found.share * 100),  # rounded down: never "100 %" of a partial text
            remedy=remedy,
        )
        return check("licence.text", False, file, said)
    if not text_required(licence):
        said = _(
            "{file} names {licence}, which asks for no copy of its text (a reference suffices)",
            file=file,
            licence=licence,
        )
        return check("licence.text", True, file, said)
    said = _(
        "{file} holds the text of {licence} as the releaser gave it, not compared: gemeingut "
        "has no reference text of {licence}",
        file=file,
        licence=licence,
    )
    if use_restrictions(licence) is None:
        return check("licence.text", True, file, said)
    # terms known to restrict use: their text, where it is, states restrictions (computed)
    stated = text_restrictions(content, quoted=False)
    if stated:
        found = _(
            "it states use restrictions as the terms of {licence} do: {restrictions}",
            licence=licence,
            restrictions=joined(stated),
        )
        return check("licence.text", True, file, joined([said, found]))
    said = _(
        "{file} is given as the text of {licence}, but states none of the use restrictions "
        "{licence} is known for (a cap on users, a use policy, forbidden uses): it is not its "
        "text, or only part of it; {remedy}",
        file=file,
        licence=licence,
        remedy=remedy,
    )
    return check("licence.text", False, file, said)


def added_terms(file: str, licence: str, content: str) -> Message | None:
    """What `file` (`content`) holds beyond the whole text of `licence`, said (None: nothing
    beyond it, or no reference text of `licence`): added terms make the file another licence
    than the open one it names."""
    added = added_text(licence, content)
    if added is None:
        return None
    if added.start is None:
        return _(
            "{file} holds {count} words more than the text of {licence}: terms added to a "
            "licence make it another licence, not {licence}; a person has to read them, or ask "
            "the publisher for the licence's text alone",
            file=file,
            count=added.words,
            licence=licence,
        )
    return _(
        "{file} holds the text of {licence} and {count} words more, beginning {start!r}: terms "
        "added to a licence make it another licence, not {licence}; a person has to read them, "
        "or ask the publisher for the licence's text alone",
        file=file,
        count=added.words,
        start=added.start,
        licence=licence,
    )


def folder_added_terms(named: NamedLicence, folder: Path) -> Message | None:
    """What the folder's LICENSE file adds to the whole text of the licence it holds (None:
    nothing, or no file whose licence gemeingut knows the text of)."""
    if named.file is None:
        return None
    licence, name = named.file
    content = (folder / name).read_text(encoding="utf-8", errors="replace")
    found = coverage(licence, content)
    return added_terms(name, licence, content) if found is not None and found.whole else None


def _combined(checks: list[dict[str, Any]]) -> dict[str, Any]:
    """Several texts' checks as one: every failure said, else every state."""
    failed = [c for c in checks if not c["passed"]]
    shown = failed or checks
    return check(
        "licence.text", not failed, shown[0]["evidence"], joined([c["detail"] for c in shown])
    )


def text_required(expression: str | None) -> list[str]:
    """The licences in `expression` that are granted only with their text."""
    return [
        key
        for key in licence_ids(expression)
        if _TEXT_REQUIRED.match(key.removeprefix("LicenseRef-"))  # `license_name: llama3`
    ]
