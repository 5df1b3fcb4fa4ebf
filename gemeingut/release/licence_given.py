"""The release's licence checked before anything is built or written: named as a licence,
its text given where gemeingut has none (terms of their own: a `LicenseRef-` id, community
terms), and its naming condition met (Llama's "Llama 3" first). `gemeingut build` runs it
before training, so that a recipe the release would refuse does not train for nothing;
`gemeingut release` before it loads the artifacts, naming its options, and the bundle again."""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.model.licence_names import unknown_licence
from gemeingut.recipe import ReleaseSection
from gemeingut.release.openness.licence_conditions import (
    check_release_conditions,
    custom_licences,
    missing_text,
)
from gemeingut.release.openness.weights_licence_text import LICENCE_FILE, read_licence_file


def refuse_unknown_licence(licence: str, field: str) -> None:
    """A licence that names no licence id (a misspelt SPDX id, a `LicenseRef-` without a name
    SPDX allows: `licence_names.unknown_licence`) is refused first, naming `field`, the option
    or recipe key that gave it: else the missing text of `LicenseRef-` was said with an empty
    name."""
    unknown = unknown_licence(licence)
    if unknown is not None:
        problem, hint = unknown
        raise InputError(_("{field}: {problem}", field=field, problem=problem), hint)


def check_release_licence(
    release: ReleaseSection, folder: Path | None, where: str, field: str = "release.license"
) -> str | None:
    """Refuse `release`'s licence for the model in `folder` (None: not built yet, so without a
    text of its own), its text given by `release.license_file` (named `where` in messages) or
    found in `folder`; returns the text given (None: none), read once. Each refusal keeps its
    own hint: a misspelt id is told its spelling, a missing text how to give it, a name its
    licence's prefix. A missing text and a licence that names no licence id name `field`, the
    option or recipe key that gave the licence."""
    refuse_unknown_licence(release.license, field)
    text = None
    if release.license_file is not None:
        text = read_licence_file(release.license_file, where)
    held = folder is not None and (folder / LICENCE_FILE).is_file()
    missing = custom_licences(release.license)
    if missing and text is None and not held:
        raise InputError(
            _("{field}: {problem}", field=field, problem=missing_text(missing[0])),
            _(
                "give the whole text of the licence, as its publisher gives it, with "
                "--license-file FILE (release.license_file in a recipe), then release again"
            ),
        )
    with TemporaryDirectory(prefix="gemeingut-licence-") as given:
        place = Path(given)
        if text is not None:  # where the release will carry it, beside the model
            (place / LICENCE_FILE).write_text(text, encoding="utf-8")
        check_release_conditions(
            release.license, release.model_name, folder if held else place, None
        )
    return text
