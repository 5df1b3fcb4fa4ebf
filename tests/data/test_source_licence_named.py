"""A source's licence that names no licence (`CC0` for CC0-1.0) is refused before curation
reads a document, naming the option or recipe key and the id meant; it excluded every document
of the source as of unknown licence, after the run (or silently, where other sources filled
the dataset). A licence the gate knows and refuses still excludes the documents as before."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.data.source_licence import source_licence_problem
from gemeingut.errors import RecipeError
from gemeingut.recipe import load_recipe
from tests.conftest import TINY_RECIPE


def _curate(tmp_path: Path, licence: str):
    folder = tmp_path / "txt"
    folder.mkdir(exist_ok=True)
    for number in range(3):
        text = f"Ein kurzer Text Nummer {number} über offene Daten und freie Software."
        (folder / f"d{number}.txt").write_text(text, encoding="utf-8")
    args = ["data", "curate", str(folder), "--out", str(tmp_path / "ds"), "--license", licence]
    return CliRunner().invoke(app, args)


def test_a_misspelt_licence_option_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    result = _curate(tmp_path, "CC0")
    assert result.exit_code == 2, result.output
    said = result.stderr
    assert "--license: „CC0“ ist keine SPDX-Lizenzkennung; meinten Sie CC0-1.0?" in said
    assert "gebaut" not in said and "Traceback" not in result.output
    assert not (tmp_path / "ds").exists()  # no half-made dataset


def test_the_refusal_is_said_in_english_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMEINGUT_LANG", "en")
    result = _curate(tmp_path, "cc0")
    assert result.exit_code == 2, result.output
    assert "--license: 'cc0' is not an SPDX licence id; did you mean CC0-1.0?" in result.stderr


def test_a_licence_known_but_not_open_excludes_the_documents_as_before(tmp_path: Path) -> None:
    result = _curate(tmp_path, "CC-BY-NC-4.0")
    assert result.exit_code == 2, result.output
    assert "(licence-non-commercial: 3)" in result.stderr
    assert (tmp_path / "ds" / "exclusions.parquet").is_file()  # the reasons are kept


@pytest.mark.parametrize(
    "licence", [None, "CC0-1.0", "CC-BY-NC-4.0", "proprietary", "GPL-3.0-only", "LicenseRef-Amt"]
)
def test_licences_the_gate_names_pass(licence: str | None) -> None:
    assert source_licence_problem(licence) is None


@pytest.mark.parametrize("licence", ["CC0", "Amtslizenz", "MIT OR", "CC0-1.0 AND ("])
def test_licences_that_name_none_are_refused(licence: str) -> None:
    assert source_licence_problem(licence) is not None


def test_a_recipe_source_with_a_misspelt_licence_is_refused_when_read(tmp_path: Path) -> None:
    path = tmp_path / "recipe.toml"
    path.write_text(TINY_RECIPE.replace('license = "CC-BY-4.0"', 'license = "CC0"', 1), "utf-8")
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    said = str(caught.value.message)
    expected = "data.sources.1.license: „CC0“ ist keine SPDX-Lizenzkennung; meinten Sie CC0-1.0?"
    assert said.startswith(str(path)) and said.endswith(expected)
    built = CliRunner().invoke(app, ["build", str(path), "--workspace", str(tmp_path / "ws")])
    assert built.exit_code == 2 and expected in built.stderr
    assert not (tmp_path / "ws").exists()
