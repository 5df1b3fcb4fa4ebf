"""The base's licence text in the fine-tuned folder, where the fine-tune carries the base's own
terms: a derivative of a model under a community licence (`license: other` with its LICENSE,
`license_name: llama3`, `gemma` …) must go out with that licence's text (Llama § 1.b.i, Gemma
§ 3.1), and gemeingut has no reference text of such terms to write. A derivative of a custom
licence can only be released under the same terms (`base_model.release_refusal`), so whenever
the base's licence is one, the fine-tune's is too; `release --finetuned` ships the folder's
LICENSE as `model/LICENSE` and refuses a release under such terms without one.

The text is the base folder's LICENSE file (LICENSE, LICENSE.txt …), else the local file its
card's `license_link` names (inside the folder; a web address is nothing to copy).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gemeingut.model.base_model import BaseModelFacts
from gemeingut.model.card_header import LICENSE_FILES, read_card
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
