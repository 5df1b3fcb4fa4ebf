"""The texts of the data's licences beside the data (`training-data/LICENSES/<SPDX-ID>.txt`,
and the same in `test-data/`): MIT, Apache-2.0 (§ 4(a)), the BSD licences, the GFDL and the
data licences CDLA-Permissive-2.0 (§ 2.1) and CDLA-Sharing-1.0 (§ 3.3) let a work be passed on
only with their text, so a bundle whose documents are under one of them
ships it with the documents, as it ships the weights' with the weights (`model/LICENSE`,
`weights_licence_text.py`). Licences that a link satisfies (Creative Commons, the German data
licences, ODbL, OGL-Canada-2.0) need no file: the card and NOTICE name them.

The release writes gemeingut's reference text of each such licence the folder's documents
carry (`data_licence_files`: one text per licence, whatever the number of sources; who holds
the rights is said per source in NOTICE), and the rating checks each (`licence.data-text`),
which `verify` computes again from the shipped files with `file_text_check`, the check of any
licence text: a file missing or cut short fails, named with the sources that need it. The
MANIFEST binds the files like any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gemeingut.data.licenses import licence_ids
from gemeingut.i18n import _
from gemeingut.release.layout import TEST_DATA, TRAINING_DATA
from gemeingut.release.openness.evidence import DataLicences, Evidence
from gemeingut.release.openness.licence_reference import reference_text
from gemeingut.release.openness.licence_text import file_text_check, text_required
from gemeingut.release.openness.result import check
from gemeingut.release.openness.sentences import joined

CHECK = "licence.data-text"
LICENCES_DIR = "LICENSES"
# licences for data only, granted on condition that their text goes with the data; those of
# code, weights and documents are `text_required`'s
_DATA_TEXT_REQUIRED = frozenset({"cdla-permissive-2.0", "cdla-sharing-1.0"})
REMEDY = _("build the release again: it writes the text of each licence the data is under")


def data_licence_file(folder: str, licence: str) -> str:
    """Where `folder` (training-data, test-data) holds the text of `licence`."""
    return f"{folder}/{LICENCES_DIR}/{licence}.txt"


def data_licence_files(evidence: Evidence) -> dict[str, str]:
    """The texts to write into the bundle (path → text): gemeingut's reference text of each
    licence the documents of each data folder carry that asks for its text."""
    return {
        data_licence_file(folder, licence): text
        for folder, data in _folders(evidence)
        for licence in _needing(data)
        if (text := reference_text(licence)) is not None
    }


def data_licence_text(evidence: Evidence) -> list[dict[str, Any]]:
    """One `licence.data-text` check (none where no document's licence asks for its text):
    every failure said, or every text's state."""
    checks = [
        _text_check(evidence.root, folder, licence, sources)
        for folder, data in _folders(evidence)
        for licence, sources in sorted(_needing(data).items())
    ]
    if not checks:
        return []
    failed = [c for c in checks if not c["passed"]]
    shown = failed or checks
    return [check(CHECK, not failed, shown[0]["evidence"], joined([c["detail"] for c in shown]))]


def _text_check(root: Path, folder: str, licence: str, sources: set[str]) -> dict[str, Any]:
    file = data_licence_file(folder, licence)
    if (root / file).is_file():
        said = file_text_check(root, file, licence, REMEDY)
        if said["passed"]:
            return check(CHECK, True, file, said["detail"])
        detail = _("{said} (documents of {sources})", said=said["detail"], sources=_said(sources))
        return check(CHECK, False, file, detail)
    said = _(
        "no {file}: the documents of {sources} are under {licence}, which lets them be passed "
        "on only with its whole text; {remedy}",
        file=file,
        sources=_said(sources),
        licence=licence,
        remedy=REMEDY,
    )
    return check(CHECK, False, file, said)


def _folders(evidence: Evidence) -> Iterator[tuple[str, DataLicences]]:
    yield TRAINING_DATA, evidence.training_data
    yield TEST_DATA, evidence.test_data


def _needing(data: DataLicences) -> dict[str, set[str]]:
    """Each licence among the documents that asks for its text, with the sources holding it."""
    needed: dict[str, set[str]] = {}
    for expression, sources in data.sources.items():
        for licence in _text_asked(expression):
            needed.setdefault(licence, set()).update(sources)
    return needed


def _text_asked(expression: str) -> list[str]:
    """The licences in `expression` that are granted only with their text, data licences too."""
    data = [k for k in licence_ids(expression) if k.lower() in _DATA_TEXT_REQUIRED]
    return [*text_required(expression), *data]


def _said(sources: set[str]) -> str:
    return ", ".join(sorted(sources))
