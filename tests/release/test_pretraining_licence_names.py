"""A release of our own pretraining under a name that is no licence id ("Amtslizenz") is
refused with the `LicenseRef-` spelling, before anything is written; terms of their own
without their text are refused in words that fit a pretraining (no fine-tuned folder named);
an SPDX licence gemeingut has no text of (MulanPSL-2.0) is released, and its `licence.text`
check fails and says so, as the README promises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.release.test_pretraining_custom_licence_text import _release


def _said(result) -> str:
    return " ".join(result.output.split())


def test_a_name_that_is_no_licence_id_is_refused(tiny_build: dict, tmp_path: Path) -> None:
    refused = _release(tiny_build, tmp_path / "out", "Amtslizenz")
    said = _said(refused)
    assert refused.exit_code == 2, said
    assert "„Amtslizenz“ ist weder eine SPDX-Lizenzkennung" in said, said
    assert "eigene Bedingungen heißen LicenseRef-Amtslizenz" in said, said
    assert not (tmp_path / "out").exists()


def test_terms_without_their_text_are_refused_without_naming_a_model_folder(
    tiny_build: dict, tmp_path: Path
) -> None:
    refused = _release(tiny_build, tmp_path / "out", "LicenseRef-Amtslizenz")
    said = _said(refused)
    assert refused.exit_code == 2, said
    assert "muss ihren ganzen Text mitführen, und keiner wurde angegeben" in said, said
    folders = [str(tiny_build[kind]["path"]) for kind in ("model", "finetune")]
    assert not any(folder in said for folder in folders) and "enthält keine Datei" not in said


def test_an_spdx_licence_without_a_reference_text_is_released_and_fails_licence_text(
    tiny_build: dict, tmp_path: Path
) -> None:
    released = _release(tiny_build, tmp_path / "out", "MulanPSL-2.0")
    assert released.exit_code == 0, released.output
    rating = json.loads((tmp_path / "out" / "bundle" / "openness.json").read_text("utf-8"))
    checks = {check["id"]: check for check in rating["checks"]}
    assert not checks["licence.text"]["passed"]
    assert "MulanPSL-2.0" in checks["licence.text"]["detail"]


@pytest.mark.parametrize(
    ("expression", "said_de"),
    [
        ("LicenseRef-", "eigene Bedingungen heißen LicenseRef-NAME"),
        ("LicenseRef-Foo Bar", "eigene Bedingungen heißen LicenseRef-Foo-Bar"),
    ],
)
def test_own_terms_spdx_cannot_spell_are_refused(
    tiny_build: dict, tmp_path: Path, expression: str, said_de: str
) -> None:
    """`LicenseRef-` with no name, or with characters SPDX does not allow: nothing a reader
    could look up, so nothing is released."""
    terms = tmp_path / "terms.txt"
    terms.write_text("Nutzung erlaubt, mit Namensnennung.\n", encoding="utf-8")
    refused = _release(tiny_build, tmp_path / "out", expression, "--license-file", terms)
    said = _said(refused)
    assert refused.exit_code == 2, said
    assert said_de in said and "Traceback" not in said, said
    assert not (tmp_path / "out").exists()
