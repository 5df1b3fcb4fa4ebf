"""`openness rate` checks a model folder's LICENSE as a release checks its bundle's
`model/LICENSE` (one `file_text_check`): the text of terms gemeingut has no reference text of
(OpenRAIL, Llama, Gemma, MulanPSL-2.0) is the publisher's, given and not compared, and passes;
it still fails where the file is another licence's text, or where there is none."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.release.openness.foreign import rate_folder
from tests.release.licence_files import licence_file
from tests.release.test_openness_rate import _folder
from tests.test_cli import invoke

MULAN = (
    "Mulan Permissive Software License，Version 2\n\nMulan Permissive Software License，"
    "Version 2 (Mulan PSL v2)\nJanuary 2020 http://license.coscl.org.cn/MulanPSL2\n"
)


RAIL = "\nYou agree not to use the Model for the uses listed in Attachment A.\n"
AUP = "\nYour use must comply with the Prohibited Use Policy, which is incorporated here.\n"


def _text_check(folder: Path) -> dict:
    return next(c for c in rate_folder(folder)["checks"] if c["id"] == "licence.text")


@pytest.mark.parametrize(
    ("card", "text"),
    [
        # each with a clause of its terms: a title alone is not the text (`text_restrictions`)
        ("creativeml-openrail-m", "CreativeML Open RAIL-M License\ndated August 22, 2022\n" + RAIL),
        (
            "llama3",
            "META LLAMA 3 COMMUNITY LICENSE AGREEMENT\nMeta Llama 3 Version Release Date\n" + AUP,
        ),
        ("gemma", "Gemma Terms of Use\n\nLast modified: February 21, 2024\n" + AUP),
        ("mulanpsl-2.0", MULAN),
    ],
)
def test_terms_without_a_reference_text_are_given_not_compared(
    tmp_path: Path, card: str, text: str
) -> None:
    folder = _folder(tmp_path / "m", card)
    (folder / "LICENSE").write_text(text, "utf-8")
    said = _text_check(folder)
    assert said["passed"] and said["evidence"] == "LICENSE"
    assert "as the releaser gave it, not compared" in said["detail"]


def test_another_licences_text_for_terms_without_reference_fails(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "llama3")
    (folder / "LICENSE").write_text(licence_file("Apache-2.0"), "utf-8")
    said = _text_check(folder)
    assert not said["passed"]
    assert said["detail"].startswith("LICENSE is the text of Apache-2.0, not of llama3")
    shown = invoke("openness", "rate", str(folder))
    assert (
        "✗ Lizenztext der Gewichte (licence.text): LICENSE ist der Text von Apache-2.0, nicht "
        "von llama3"
    ) in shown.output


def test_terms_without_reference_and_without_a_licence_file_fail(tmp_path: Path) -> None:
    said = _text_check(_folder(tmp_path / "m", "gemma"))
    assert not said["passed"] and said["detail"].startswith("no LICENSE file: gemma asks")
