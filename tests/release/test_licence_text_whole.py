"""`licence.text` passes only for a LICENSE file that holds the whole licence text: a stub that
opens like Apache-2.0 names the licence but does not give recipients its terms, and the check
says how much is missing. A faithful copy passes however it is wrapped, with its own copyright
line, without title or appendix."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from gemeingut.release.openness.foreign import rate_folder
from tests.release.licence_files import licence_file
from tests.release.test_openness_rate import _folder
from tests.test_cli import invoke


def _text_check(folder: Path) -> dict:
    return next(c for c in rate_folder(folder)["checks"] if c["id"] == "licence.text")


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _folder(tmp_path_factory.mktemp("rate") / "m", "apache-2.0")


def test_a_stub_that_opens_like_apache_is_not_its_text(model: Path) -> None:
    stub = "\n".join(licence_file("Apache-2.0").splitlines()[:10]) + "\n"  # the header, § 1 begun
    (model / "LICENSE").write_text(stub, "utf-8")
    said = _text_check(model)
    assert not said["passed"] and said["evidence"] == "LICENSE"
    found = re.search(
        r"only part of the text of Apache-2.0: ([\d,]+) of its ([\d,]+) words", said["detail"]
    )
    assert found, said["detail"]
    missing, words = (int(n.replace(",", "")) for n in found.groups())
    assert words > 1000 and words - 30 < missing < words  # a few words of § 1 are there
    shown = invoke("openness", "rate", model)
    german = " ".join(shown.output.split())
    assert (
        "✗ Lizenztext der Gewichte (licence.text): LICENSE enthält nur einen Teil des Textes "
        "von Apache-2.0"
    ) in german
    assert f"{missing:,} seiner {words:,} Wörter fehlen".replace(",", ".") in german
    assert "% vorhanden); fragen Sie den Herausgeber nach dem vollständigen Text" in german


def test_a_faithful_copy_passes_however_it_is_laid_out(model: Path) -> None:
    whole = licence_file("Apache-2.0")  # its title kept (the licence is named by it)
    terms = whole[: whole.index("END OF TERMS AND CONDITIONS")]  # without the appendix
    reflowed = "\n\n".join(" ".join(part.split()) for part in terms.split("\n\n"))
    (model / "LICENSE").write_text(
        "Copyright 2025 Stadt Köln\n\n" + reflowed.replace("license", "licence"), "utf-8"
    )
    said = _text_check(model)
    assert said["passed"], said["detail"]
    assert said["detail"] == "LICENSE holds the text of Apache-2.0"


def test_a_copy_without_a_section_is_not_the_text(model: Path) -> None:
    whole = licence_file("Apache-2.0")
    start, end = whole.index("   6. Trademarks."), whole.index("   7. Disclaimer of Warranty.")
    section = len(re.findall(r"[a-z0-9]+", whole[start:end].lower()))
    (model / "LICENSE").write_text(whole[:start] + whole[end:], "utf-8")
    said = _text_check(model)
    assert not said["passed"]
    assert f": {section} of its " in said["detail"], said["detail"]


def test_each_version_of_a_licence_is_compared_with_its_own_text(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "gpl", "gpl-3.0-or-later")
    (folder / "LICENSE").write_text(licence_file("GPL-3.0"), "utf-8")
    said = _text_check(folder)
    assert said["passed"] and said["detail"] == "LICENSE holds the text of GPL-3.0-only"
    preamble_only = licence_file("GPL-3.0").split("TERMS AND CONDITIONS")[0]
    (folder / "LICENSE").write_text(preamble_only, "utf-8")
    assert not _text_check(folder)["passed"]


def test_terms_without_a_reference_text_are_given_not_compared(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "llama", "llama3")
    terms = "META LLAMA 3 COMMUNITY LICENSE AGREEMENT\n\nUse follows the Acceptable Use Policy.\n"
    (folder / "LICENSE").write_text(terms, "utf-8")
    said = _text_check(folder)
    assert said["passed"] and "no reference text of llama3" in said["detail"]
    folder = _folder(tmp_path / "cc", "cc-by-4.0")  # a link suffices: no text to compare
    (folder / "LICENSE").write_text("Attribution 4.0 International\n", "utf-8")
    said = _text_check(folder)
    assert said["passed"] and "asks for no copy of its text" in said["detail"]


def test_a_file_of_one_repeated_word_is_judged_without_comparing_in_order(model: Path) -> None:
    """In-order matching of "the " * 200,000 ran for minutes (`openness rate`, `verify`); the
    word counts alone show the licence is missing, and a whole text among such filler is still
    found."""
    from gemeingut.release.openness.licence_reference import coverage

    filler = "the " * 200_000
    started = time.process_time()
    assert not coverage("Apache-2.0", filler).whole
    assert coverage("Apache-2.0", licence_file("Apache-2.0") + filler).whole
    assert time.process_time() - started < 30  # minutes before; about a second now
