"""The text of the weights' licence beside the weights in every bundle (`model/LICENSE`):
Apache-2.0, MIT, BSD, GPL, MPL, EUPL … are granted on condition that recipients get their text.
The release writes it, and the rating checks it (`licence.text`), in a pretraining bundle and a
fine-tune's alike.

Where the text comes from: the releaser's own file where there is one (a pretraining's
`release.license_file` or `--license-file`, a fine-tune's LICENSE in its folder), else
gemeingut's reference text (`licence_texts.yml`). A release without any text is still built:
`licence.text` fails and says how to give the text, so the rating and the card say what is
missing. An LGPL-3.0 release also ships the GPL-3.0 text it incorporates (LGPL-3.0 § 0) as
`model/LICENSE.GPL-3.0`, checked the same way.

Creative Commons licences ask for "the text of, or the URI or hyperlink to" themselves (CC BY
4.0 § 3(a)(1)(C)): for them the release writes `model/LICENSE` with the SPDX id and the URI of
the legal code, computed from the id (`legal_code_uri`), and `licence.text` says that the URI
is given, as the licence allows. CC0-1.0 asks for nothing.

The copyright line a text's form asks for (MIT, BSD, ISC: `Copyright (c) <year> <holders>`)
names `release.authors` where the release names any, else it is left out; the check says which.
Its year is the year of the publication date the recipe gives (`[data.publication] issued`,
the training data's `datePublished` in Croissant and `dct:issued` in DCAT, `publication_year`):
a date of the recipe, so a rebuild writes the same line and the release id does not depend on
the clock. A release without one (no publication, or one without `issued`; a fine-tune of a
foreign base) names its holders without a year, as the clock would make a rebuild differ.

States of `licence.text`, each computed again by `verify` from the shipped files:
- the text compared with gemeingut's reference: passes when whole, fails when part is missing;
- the text given by the releaser for a licence gemeingut has no reference text of: it is not
  compared (the MANIFEST binds the file by its sha256, a signature binds the MANIFEST), and
  says so; it fails only where its opening shows it to be another licence's text;
- no text: fails, with what to do.

How a given text counts for the ratings: the MOF asks that a component's licence be included
with it, and a given text is included; the Model Openness Tool's class, like ours, is computed
from the licence each component is under, so neither the MOF class nor the OSAID gate (its
parameters under OSD-conformant terms, judged by the declared SPDX id) changes with the text's
state. A given text passes `licence.text`, so a correctly licensed release under an open licence
without our reference text (MulanPSL-2.0, say) is rated open: failing it for lack of our
reference would be a wrong claim. Its words in `openness.json` and the card say that it was not
compared.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gemeingut.data.licence_texts import licence_of_text
from gemeingut.data.licenses import licence_ids
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.release.layout import MODEL
from gemeingut.release.openness.evidence import Evidence
from gemeingut.release.openness.licence_reference import (
    coverage,
    has_copyright_form,
    reference_text,
    text_id,
)
from gemeingut.release.openness.licence_text import file_text_check, text_required
from gemeingut.release.openness.result import check
from gemeingut.release.openness.sentences import joined

WEIGHTS_LICENCE_FILE = f"{MODEL}/LICENSE"
LICENCE_FILE = "LICENSE"  # a fine-tuned folder's own licence text, copied with the model
# Licences whose terms are another's plus permissions: that other text goes with them.
INCORPORATED = {"LGPL-3.0": "GPL-3.0"}
# How to give the text, said where it is missing: per kind of release.
PRETRAINING_REMEDY = _(
    "give its whole text as a file: release.license_file in the recipe, or `gemeingut "
    "release --license-file`"
)
FINE_TUNE_REMEDY = _(
    "put its whole text as LICENSE into the fine-tuned model's folder and release it again"
)
# A Creative Commons licence by its SPDX id: its elements, version and port ("CC-BY-3.0-DE").
_CREATIVE_COMMONS = re.compile(
    r"^CC-(BY(?:-NC)?(?:-SA|-ND)?)-(\d\.\d)(?:-([A-Z]{2}))?$", re.IGNORECASE
)
# A copyright notice's line: "Copyright (c) 2024 …", "Copyright 2024 …", "© …" (not a line of
# the terms that starts with the word, as Apache-2.0's "copyright notice that is included").
_COPYRIGHT = re.compile(
    r"^[ \t]*(?:copyright[ \t]+(?:\(c\)|©|\d)|©).*$", re.IGNORECASE | re.MULTILINE
)


def read_licence_file(path: Path, where: str) -> str:
    """The releaser's licence text at `path`, named in messages by `where` (the recipe's file
    and key, or the option): a readable, non-empty UTF-8 file, or a clear refusal."""
    hint = _(
        "give the file with the whole text of the weights' licence (plain UTF-8 text; in a "
        "recipe, its path relative to the recipe)"
    )
    if not path.is_file():
        said = _("{where}: {path} is not a file", where=where, path=str(path))
        if not path.exists():
            said = _("{where}: {path} does not exist", where=where, path=str(path))
        raise InputError(said, hint)
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(
            _("{where}: {path} is not UTF-8 text", where=where, path=str(path)), hint
        ) from None
    except OSError as exc:
        raise InputError(
            _("{where}: {path} cannot be read: {error}", where=where, path=str(path), error=exc),
            hint,
        ) from None
    if not content.strip():
        raise InputError(_("{where}: {path} is empty", where=where, path=str(path)), hint)
    return content


def licence_files(
    licence: str,
    authors: list[str],
    given: str | None,
    in_folder: bool,
    year: int | None = None,
) -> dict[str, str]:
    """The licence files to write into the bundle (path → text): `given`, the releaser's own
    text, else gemeingut's reference texts of the licences that ask for theirs (nothing where
    the released folder brings its LICENSE, `in_folder`), and the texts they incorporate;
    `year`: of the copyright line that names the authors (`publication_year`)."""
    needing = text_required(licence)
    files: dict[str, str] = {}
    if given is not None:
        files[WEIGHTS_LICENCE_FILE] = given
    elif not in_folder:
        holders = ", ".join(authors)
        texts = [
            text for key in needing if (text := reference_text(key, holders, year)) is not None
        ]
        if texts:
            files[WEIGHTS_LICENCE_FILE] = "\n\n".join(texts)
    linked = _linked(licence, needing)
    if linked and given is None and not in_folder:  # after any texts: their URIs
        uris = "".join(f"SPDX-License-Identifier: {k}\n{legal_code_uri(k)}\n" for k in linked)
        texts = files.get(WEIGHTS_LICENCE_FILE)
        files[WEIGHTS_LICENCE_FILE] = f"{texts}\n\n{uris}" if texts else uris
    for key in needing:
        incorporated = INCORPORATED.get(text_id(key))
        if incorporated is not None:
            files[_incorporated_file(incorporated)] = reference_text(incorporated) or ""
    return files


def publication_year(params: dict[str, Any] | None) -> int | None:
    """The year of a publication artifact's `issued` date (its params, as the recipe's
    `[data.publication]` gives them), or None where there is no publication or no date."""
    issued = (params or {}).get("issued")
    return dt.date.fromisoformat(issued).year if isinstance(issued, str) else None


def legal_code_uri(licence: str) -> str | None:
    """The URI of a Creative Commons licence's legal code, from its SPDX id (None for others):
    CC-BY-SA-4.0 → https://creativecommons.org/licenses/by-sa/4.0/legalcode."""
    match = _CREATIVE_COMMONS.match(licence.strip())
    if match is None:
        return None
    elements, version, port = match.groups()
    path = "/".join(part.lower() for part in (elements, version, port) if part)
    return f"https://creativecommons.org/licenses/{path}/legalcode"


def _linked(expression: str | None, needing: list[str]) -> list[str]:
    """The licences in `expression` satisfied by the URI of their legal code."""
    return [k for k in licence_ids(expression) if k not in needing and legal_code_uri(k)]


def licence_path(bundle: Path) -> str:
    """Where the bundle holds its weights' licence: the text files it ships (`model/LICENSE`
    and any incorporated text beside it), else `release.json`, which declares the licence."""
    model = bundle / MODEL
    shipped = (
        sorted(p.name for p in model.glob("LICENSE*") if p.is_file()) if model.is_dir() else []
    )
    return ", ".join(f"{MODEL}/{name}" for name in shipped) or "release.json"


def write_licence_files(bundle: Path, files: dict[str, str]) -> None:
    """Licence texts by their paths in the bundle (the weights' and the data's)."""
    for name, content in files.items():
        (bundle / name).parent.mkdir(parents=True, exist_ok=True)
        (bundle / name).write_text(content, encoding="utf-8")


def weights_licence_text(
    evidence: Evidence, expression: str | None, remedy: Message
) -> list[dict[str, Any]]:
    """One `licence.text` check (none where no declared licence asks for its text): every
    failure said, or every text's state; `remedy`: how this kind of release gives a text."""
    needing = text_required(expression)
    linked = _linked(expression, needing)
    if not needing and not linked:
        return []
    authors = [str(a) for a in evidence.release.get("authors") or []]
    checks = [_text_check(evidence.root, key, authors, remedy) for key in needing]
    checks += [_uri_check(evidence.root, key, remedy) for key in linked]
    for key in needing:
        incorporated = INCORPORATED.get(text_id(key))
        if incorporated is not None:
            checks.append(_incorporated_check(evidence.root, key, incorporated))
    failed = [c for c in checks if not c["passed"]]
    shown = failed or checks
    detail = joined([c["detail"] for c in shown])
    return [check("licence.text", not failed, shown[0]["evidence"], detail)]


def _shipped_check(
    bundle: Path, file: str, missing: Message, judge: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    """`judge` of the text of `file` in the bundle; failed, saying `missing`, where the
    bundle holds no such file."""
    if not (bundle / file).is_file():
        return check("licence.text", False, file, missing)
    return judge((bundle / file).read_text(encoding="utf-8", errors="replace"))


def _text_check(bundle: Path, licence: str, authors: list[str], remedy: Message) -> dict:
    file = WEIGHTS_LICENCE_FILE
    missing = _(
        "no {file}: {licence} is granted only with its whole text beside the weights; {remedy}",
        file=file,
        licence=licence,
        remedy=remedy,
    )

    def judged(content: str) -> dict[str, Any]:
        said = file_text_check(bundle, file, licence, remedy)
        if said["passed"] and has_copyright_form(licence):  # a form only a compared text has
            detail = joined([said["detail"], _copyright_said(content, authors)])
            return check("licence.text", True, file, detail)
        return said

    return _shipped_check(bundle, file, missing, judged)


def _uri_check(bundle: Path, licence: str, remedy: Message) -> dict:
    """`model/LICENSE` gives the URI of `licence`'s legal code (or its text, as given)."""
    file, uri = WEIGHTS_LICENCE_FILE, legal_code_uri(licence)
    missing = _(
        "no {file}: {licence} asks that its text or the URI of its legal code ({uri}) go "
        "with the weights; release it again",
        file=file,
        licence=licence,
        uri=uri,
    )

    def judged(content: str) -> dict[str, Any]:
        if uri and uri in content:
            said = _(
                "{file} gives the URI of the legal code of {licence} ({uri}), as the licence "
                "allows",
                file=file,
                licence=licence,
                uri=uri,
            )
            return check("licence.text", True, file, said)
        given = {text_id(key).lower() for key in licence_of_text(content)}
        if text_id(licence).lower() in given:  # its text, as the releaser gave it
            return file_text_check(bundle, file, licence, remedy)
        said = _(
            "{file} gives neither the text of {licence} nor the URI of its legal code ({uri}); "
            "{remedy}",
            file=file,
            licence=licence,
            uri=uri,
            remedy=remedy,
        )
        return check("licence.text", False, file, said)

    return _shipped_check(bundle, file, missing, judged)


def _copyright_said(content: str, authors: list[str]) -> Message:
    """The copyright line the text's form asks for: which it is, or why there is none."""
    line = _COPYRIGHT.search(content)
    if line is not None:
        return _("its copyright line: {line!r}", line=line.group(0).strip())
    if authors:
        return _("without a copyright line")
    return _(
        "without a copyright line: release.json names no authors (release.authors in the "
        "recipe, --author for `gemeingut release`)"
    )


def _incorporated_file(licence: str) -> str:
    return f"{WEIGHTS_LICENCE_FILE}.{licence}"


def _incorporated_check(bundle: Path, licence: str, incorporated: str) -> dict:
    file = _incorporated_file(incorporated)
    missing = _(
        "no {file}: {licence} incorporates the terms of {incorporated}, whose whole text "
        "goes with it as {file}",
        file=file,
        licence=licence,
        incorporated=incorporated,
    )

    def judged(content: str) -> dict[str, Any]:
        found = coverage(incorporated, content)
        if found is not None and found.whole:
            said = _("{file} holds the text of {licence}", file=file, licence=incorporated)
            return check("licence.text", True, file, said)
        said = _(
            "{file} is not the whole text of {incorporated}, which {licence} incorporates",
            file=file,
            incorporated=incorporated,
            licence=licence,
        )
        return check("licence.text", False, file, said)

    return _shipped_check(bundle, file, missing, judged)
