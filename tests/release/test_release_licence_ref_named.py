"""`gemeingut release --license` with terms of their own: a `LicenseRef-` id whose name is
missing or not one SPDX allows is refused naming the option, what is wrong and how to name the
terms (`licence_names.unknown_licence`; the bare prefix printed an empty name); one without
its text is refused naming the option and how to give the text. Exit 2, nothing written, in
the build's recipe as on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_tiny_project
from tests.release.test_pretraining_custom_licence_text import _release
from tests.test_cli import invoke


def _said(result) -> str:
    return " ".join(result.output.split())


@pytest.mark.parametrize(
    ("licence", "key", "named"),
    [
        ("LicenseRef-", "LicenseRef-", "LicenseRef-NAME"),
        ("CC-BY-SA-4.0 AND LicenseRef-", "LicenseRef-", "LicenseRef-NAME"),
        ("LicenseRef-Amts_Lizenz", "LicenseRef-Amts_Lizenz", "LicenseRef-Amts-Lizenz"),
    ],
)
def test_a_licence_ref_without_a_name_spdx_allows_is_refused_naming_the_option(
    tiny_build: dict, tmp_path: Path, licence: str, key: str, named: str
) -> None:
    refused = _release(tiny_build, tmp_path / "out", licence)
    said = _said(refused)
    assert refused.exit_code == 2, said
    assert f"Fehler: --license: „{key}“ ist kein SPDX-Name für eigene Bedingungen" in said, said
    assert f"Hinweis: eigene Bedingungen heißen {named}" in said, said
    assert " ist keine Standardlizenz" not in said, said  # not "  ist keine …": no empty name
    assert "Traceback" not in said
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.*"))


def test_a_licence_ref_without_its_text_is_refused_naming_both_options(
    tiny_build: dict, tmp_path: Path
) -> None:
    refused = _release(tiny_build, tmp_path / "out", "CC-BY-SA-4.0 AND LicenseRef-foo")
    said = _said(refused)
    assert refused.exit_code == 2, said
    assert "Fehler: --license: foo ist keine Standardlizenz" in said, said
    assert "mit --license-file DATEI an" in said, said
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.*"))


def test_build_refuses_a_licence_ref_without_a_name_before_training(tmp_path: Path) -> None:
    recipe = write_tiny_project(tmp_path / "project")
    source = recipe.read_text(encoding="utf-8")
    recipe.write_text(source.replace('license = "Apache-2.0"', 'license = "LicenseRef-"'), "utf-8")
    refused = invoke("build", recipe, "--workspace", tmp_path / "workspace")
    said = _said(refused)
    assert refused.exit_code == 2, said
    assert "release.license: „LicenseRef-“ ist kein SPDX-Name für eigene Bedingungen" in said, said
    assert not (tmp_path / "workspace").exists()
