"""A release of our own pretraining under terms of their own (a `LicenseRef-` id, community
terms such as `gemma`) must carry their text, which gemeingut does not have: without
`--license-file` it is refused before anything is written, as a fine-tune's release without its
LICENSE is, in German, saying how to give the text (and by `gemeingut build` before it trains);
with it, the text is shipped and the licence's naming condition still checked. Other refusals
(a misspelt id) keep their own hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.release.openness.licence_reference import reference_text
from gemeingut.release.verify import verify_bundle
from tests.conftest import write_tiny_project
from tests.test_cli import invoke

TERMS = "AMTSLIZENZ\n\n1. Wer das Modell weitergibt, gibt diese Bedingungen mit.\n"


def _release(tiny_build: dict, out: Path, licence: str, *options: object):
    """The tiny build's own artifacts (its evaluation is of its fine-tune) released again
    under `licence`."""
    kinds = {"dataset": "--dataset", "tokenizer": "--tokenizer", "model": "--model"}
    kinds |= {"evaluation": "--evaluation", "finetune": "--finetuned"}
    given = [a for kind, option in kinds.items() for a in (option, tiny_build[kind]["path"])]
    return invoke(
        "release", "--name", "winzig", "--out", out, "--license", licence, *given, *options
    )


@pytest.mark.parametrize(
    ("licence", "shown"), [("LicenseRef-Amtslizenz", "Amtslizenz"), ("gemma", "gemma")]
)
def test_terms_of_their_own_without_their_text_are_refused(
    tiny_build: dict, tmp_path: Path, licence: str, shown: str
) -> None:
    assert reference_text(licence) is None, "pick terms gemeingut has no text of"
    refused = _release(tiny_build, tmp_path / "out", licence)
    said = " ".join(refused.output.split())
    assert refused.exit_code == 2, said
    assert f"{shown} ist keine Standardlizenz, sondern eigene Bedingungen" in said, said
    assert "mit --license-file DATEI an (release.license_file in einem Rezept)" in said, said
    assert "Traceback" not in said
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.*"))  # no half-built release beside it


def test_terms_of_their_own_with_their_text_are_released_with_it(
    tiny_build: dict, tmp_path: Path
) -> None:
    text = tmp_path / "AMTSLIZENZ.txt"
    text.write_text(TERMS, encoding="utf-8")
    released = _release(
        tiny_build, tmp_path / "out", "LicenseRef-Amtslizenz", "--license-file", text
    )
    assert released.exit_code == 0, released.output
    bundle = tmp_path / "out" / "bundle"
    assert (bundle / "model" / "LICENSE").read_text(encoding="utf-8") == TERMS
    verify_bundle(bundle)


def test_a_standard_licence_needs_no_text_of_the_releaser(tiny_build: dict, tmp_path: Path) -> None:
    """gemeingut writes MIT's text itself: nothing to refuse."""
    released = _release(tiny_build, tmp_path / "out", "MIT")
    assert released.exit_code == 0, released.output
    assert (tmp_path / "out" / "bundle" / "model" / "LICENSE").is_file()


@pytest.mark.parametrize("licence", ["Apache 2.0", "apache2"])
def test_a_misspelt_id_is_told_its_spelling_not_to_give_a_text(
    tiny_build: dict, tmp_path: Path, licence: str
) -> None:
    refused = _release(tiny_build, tmp_path / "out", licence)
    shown = " ".join(refused.output.split())
    assert refused.exit_code == 2 and "Apache-2.0" in shown, shown
    assert "--license-file" not in shown, shown
    assert not (tmp_path / "out").exists()


def test_with_the_text_given_the_naming_condition_is_still_checked(
    tiny_build: dict, tmp_path: Path
) -> None:
    text = tmp_path / "LLAMA3.txt"
    text.write_text("META LLAMA 3 COMMUNITY LICENSE AGREEMENT\n", encoding="utf-8")
    refused = _release(tiny_build, tmp_path / "out", "llama3", "--license-file", text)
    shown = " ".join(refused.output.split())
    assert refused.exit_code == 2 and "beginnt nicht mit „Llama 3“" in shown, shown
    assert not (tmp_path / "out").exists()


def test_build_refuses_terms_without_their_text_before_training(tmp_path: Path) -> None:
    recipe = write_tiny_project(tmp_path / "project")
    source = recipe.read_text(encoding="utf-8")
    recipe.write_text(
        source.replace('license = "Apache-2.0"', 'license = "LicenseRef-Amtslizenz"'), "utf-8"
    )
    refused = invoke("build", recipe, "--workspace", tmp_path / "workspace")
    said = " ".join(refused.output.split())
    assert refused.exit_code == 2, said
    assert "Amtslizenz ist keine Standardlizenz, sondern eigene Bedingungen" in said, said
    assert "release.license_file in einem Rezept" in said and "Traceback" not in said
    assert not (tmp_path / "workspace").exists()  # nothing curated, nothing trained
