"""The base's licence text in the fine-tuned folder, where the fine-tune carries the base's own
terms: a derivative of a model under a community licence (`license: other` with its LICENSE,
`license_name: llama3`, `gemma` …) must go out with that licence's text (Llama § 1.b.i, Gemma
§ 3.1), and gemeingut has no reference text of such terms to write. A derivative of a custom
licence can only be released under the same terms (`base_model.release_refusal`), so whenever
the base's licence is one, the fine-tune's is too; `release --finetuned` ships the folder's
LICENSE as `model/LICENSE` and refuses a release under such terms without one.

The text is the base folder's LICENSE file (LICENSE, LICENSE.txt …), else the local file its
card's `license_link` names (inside the folder; a web address is nothing to copy). Where
there is none, a fine-tune meant for release under the base's terms (`--license`) is refused
before a model loads, naming the file to put the text in; one made without `--license` is told
afterwards what its release will lack, and where to put it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gemeingut.data.licenses import licence_ids
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.model.base_model import BaseModelFacts
from gemeingut.model.card_header import LICENSE_FILES, named_licence, read_card
from gemeingut.model.finetune_base_folder import base_model_folder
from gemeingut.model.loading import FINETUNE_FILE, recorded_base
from gemeingut.release.openness.licence_conditions import custom_licences
from gemeingut.release.openness.weights_licence_text import LICENCE_FILE


def copy_base_licence(base: BaseModelFacts, out_dir: Path) -> Path | None:
    """Copy the base's licence text into `out_dir` as LICENSE where its licence is terms of
    their own; returns the file copied (None: a standard licence, or no text to copy)."""
    if not custom_licences(base.license):
        return None
    source = base_licence_file(Path(base.path))
    if source is not None:
        shutil.copyfile(source, out_dir / LICENCE_FILE)
    return source


def base_licence_file(folder: Path) -> Path | None:
    """The file in `folder` that holds its licence text (None: none there)."""
    for name in LICENSE_FILES:
        if (folder / name).is_file():
            return folder / name
    card = read_card(folder)
    link = card.header.get("license_link") if card is not None else None
    if not isinstance(link, str) or "://" in link or not link.strip():
        return None
    root = folder.resolve()
    target = (root / link.strip()).resolve()
    return target if target.is_relative_to(root) and target.is_file() else None


def refuse_missing_base_text(folder: Path, stated: str | None, release_license: str | None) -> None:
    """Refuse, before a model loads, a fine-tune meant for release under the base's own terms
    where the base's folder holds no text of them: the release would refuse it after the
    training. `stated`: the base's licence the user gave (`--base-license`), which counts where
    the folder names none. Read from the card and LICENSE file alone (no hashing of the
    weights); a folder
    that is no model, or whose card and LICENSE file disagree, is left to the base's
    inspection, which says so. A release is read in its model folder, as the fine-tune is."""
    folder = base_model_folder(folder)
    if release_license is None or not (folder / "config.json").is_file():
        return
    named = named_licence(folder, read_card(folder))
    if named.disagreement or base_licence_file(folder) is not None:
        return
    released = {key.lower() for key in licence_ids(release_license)}
    terms = [key for key in custom_licences(named.licence or stated) if key.lower() in released]
    if terms:
        raise InputError(
            _missing_text(terms[0], folder.resolve()),
            _(
                "put the whole text of the licence, as its publisher gives it, into {path} (the "
                "fine-tune copies it from there), then fine-tune again; without --license the "
                "fine-tune is made, but cannot be released",
                path=str(folder.resolve() / LICENCE_FILE),
            ),
        )


def missing_text_note(tuned: Path) -> Message | None:
    """What the fine-tune in `tuned` lacks to be released: the text of its base's own terms,
    where the base's folder had none to copy (None: a standard licence, or the text is
    there)."""
    base = recorded_base(tuned / FINETUNE_FILE)
    terms = custom_licences(base.get("license"))
    if not terms or (tuned / LICENCE_FILE).is_file():
        return None
    return _(
        "{problem}; a release of this fine-tune needs it: put it into {path}",
        problem=_missing_text(terms[0], Path(str(base.get("path")))),
        path=str(tuned.resolve() / LICENCE_FILE),
    )


def _missing_text(licence: str, folder: Path) -> Message:
    """What is missing, and where it was looked for."""
    return _(
        "the base model's licence {licence} is terms of their own, whose whole text a model "
        "made from it must carry, but the base model's folder {path} holds none (no {files}, "
        "no file its card's license_link names)",
        licence=licence,
        path=str(folder),
        files=", ".join(LICENSE_FILES),
    )
