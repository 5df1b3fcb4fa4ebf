"""A LICENSE of SPDX short identifiers only — the form a release writes into `model/LICENSE`
for a licence a link satisfies (`SPDX-License-Identifier: CC-BY-SA-4.0` and its legal code's
URI) — names that licence: the released model folder, downloaded on its own, could not be
fine-tuned („nennt keine Lizenz“) and `openness rate` called its LICENSE unrecognised."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.data.licence_texts import identified_licences, licences_of_text
from gemeingut.model.card_header import licence_file, named_licence
from gemeingut.release.openness.licence_text import licence_text_check

RELEASED = (
    "SPDX-License-Identifier: CC-BY-SA-4.0\n"
    "https://creativecommons.org/licenses/by-sa/4.0/legalcode\n"
)


def test_a_released_model_folders_licence_file_names_its_licence(tmp_path: Path) -> None:
    (tmp_path / "LICENSE").write_text(RELEASED, encoding="utf-8")
    assert licence_file(tmp_path) == ("CC-BY-SA-4.0", "LICENSE")
    named = named_licence(tmp_path, None)
    assert named.licence == "CC-BY-SA-4.0"
    [said] = licence_text_check(named, tmp_path)
    assert said["passed"], said


def test_the_text_reader_knows_the_identified_licence() -> None:
    assert licences_of_text(RELEASED) == ["CC-BY-SA-4.0"]


def test_several_identifiers_all_apply(tmp_path: Path) -> None:
    two = RELEASED + "SPDX-License-Identifier: DL-DE-BY-2.0\nhttps://www.govdata.de/dl-de/by-2-0\n"
    (tmp_path / "LICENSE").write_text(two, encoding="utf-8")
    assert licence_file(tmp_path) == ("CC-BY-SA-4.0 AND DL-DE-BY-2.0", "LICENSE")


@pytest.mark.parametrize(
    "text",
    [
        RELEASED + "Commercial use requires a separate licence.\n",  # a condition beside it
        "Licensed under the terms below.\nSPDX-License-Identifier: MIT\n",
        "SPDX-License-Identifier:\n",
    ],
)
def test_identifiers_with_anything_else_are_not_taken_as_the_licence(text: str) -> None:
    assert identified_licences(text) == []
