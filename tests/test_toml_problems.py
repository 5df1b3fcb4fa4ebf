"""A recipe that is no TOML is said in the reader's language with its line and column, as a
broken YAML or JSON file is; before, tomllib's English went out as it was ("kein gültiges TOML:
Expected ']' at the end of a table declaration (at line 1, column 7)")."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import TINY_RECIPE
from tests.test_cli import invoke


@pytest.mark.parametrize(
    ("broken", "german", "english"),
    [
        (
            TINY_RECIPE.replace("[model]", "[model"),
            "Zeile {line}, Spalte 7: kein gültiges TOML (dem Namen einer Tabelle fehlt",
            "line {line}, column 7: not valid TOML (a table's name lacks its closing ']')",
        ),
        (
            TINY_RECIPE.replace("[model]", "[model]\nsteps 30"),
            "Zeile {after}, Spalte 7: kein gültiges TOML (einem Schlüssel fehlen „=“ und Wert",
            "line {after}, column 7: not valid TOML (a key lacks its '=' and value",
        ),
        (
            TINY_RECIPE.replace("[model]", "[model]\n[model]"),
            "Zeile {after}, Spalte 7: kein gültiges TOML („model“ ist doppelt deklariert)",
            "line {after}, column 7: not valid TOML ('model' is declared twice)",
        ),
    ],
)
def test_a_broken_recipe_says_where_and_what_in_the_readers_language(
    tmp_path: Path, broken: str, german: str, english: str
) -> None:
    lines = broken.splitlines()
    line = lines.index(next(x for x in lines if x.startswith("[model")))
    place = {"line": line + 1, "after": line + 2}
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(broken, encoding="utf-8")
    result = invoke("build", recipe, "--workspace", tmp_path / "ws")
    assert result.exit_code == 2, result.output
    assert german.format(**place) in result.stderr, result.stderr
    assert "Expected" not in result.stderr and "Traceback" not in result.output
    said = invoke("--lang", "en", "build", recipe, "--workspace", tmp_path / "ws")
    assert said.exit_code == 2 and english.format(**place) in said.stderr, said.stderr
