"""An unknown key in a recipe (or a `data curate --config` file) is refused with the key of the
same section it most likely misspells, in the reader's language: "lerning_rate" alone left the
person to find `learning_rate` in the documentation."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.errors import RecipeError
from gemeingut.recipe import load_recipe
from tests.conftest import TINY_RECIPE
from tests.corpus import open_documents, write_jsonl


def _refusal(tmp_path: Path, old: str, new: str) -> str:
    assert old in TINY_RECIPE
    path = tmp_path / "recipe.toml"
    path.write_text(TINY_RECIPE.replace(old, new), encoding="utf-8")
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    return str(caught.value.message)


def test_a_misspelt_key_is_refused_with_the_key_meant(tmp_path: Path) -> None:
    said = _refusal(tmp_path, "learning_rate = 5e-3\nwarmup_steps = 3", "lerning_rate = 5e-3")
    assert said.endswith(
        "model.training.lerning_rate: ist keine bekannte Einstellung; meinten Sie learning_rate?"
    )


def test_the_key_meant_is_said_in_english_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMEINGUT_LANG", "en")
    said = _refusal(tmp_path, "learning_rate = 5e-3\nwarmup_steps = 3", "lerning_rate = 5e-3")
    assert said.endswith("lerning_rate: is not a known setting; did you mean learning_rate?")


def test_the_key_meant_is_one_of_the_section_it_stands_in(tmp_path: Path) -> None:
    """A source (an item of the list `data.sources`) knows `name`; the top level does not."""
    said = _refusal(tmp_path, 'name = "notes"', 'nmae = "notes"')
    assert "data.sources.1.nmae: ist keine bekannte Einstellung; meinten Sie name?" in said
    said = _refusal(tmp_path, "[tokenizer]", "[tokeniser]")
    assert "tokeniser: ist keine bekannte Einstellung; meinten Sie tokenizer?" in said


def test_a_key_like_none_of_the_section_is_refused_without_a_guess(tmp_path: Path) -> None:
    said = _refusal(tmp_path, "seq_len = 32", "seq_len = 32\nfarbe = 3")
    assert "model.training.farbe: ist keine bekannte Einstellung" in said
    assert "meinten Sie" not in said


def test_a_curate_config_file_names_the_key_meant(tmp_path: Path) -> None:
    docs = write_jsonl(tmp_path / "docs.jsonl", open_documents(3))
    config = tmp_path / "curate.toml"
    config.write_text("[data]\nsplit_sed = 3\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["data", "curate", str(docs), "--out", str(tmp_path / "ds"), "--config", str(config)]
    )
    assert result.exit_code == 2, result.output
    assert "split_sed: ist keine bekannte Einstellung; meinten Sie split_seed?" in result.stderr
    assert not (tmp_path / "ds").exists()
