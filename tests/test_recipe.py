from pathlib import Path

import pytest

from gemeingut.errors import RecipeError
from gemeingut.recipe import load_recipe
from tests.conftest import TINY_RECIPE


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipe.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_recipe_resolves_source_paths_next_to_it(tmp_path: Path) -> None:
    recipe = load_recipe(write(tmp_path, TINY_RECIPE))
    assert recipe.data.sources[0].path == (tmp_path / "docs.jsonl").resolve()
    assert recipe.model.training.steps == 30


def test_wrong_type_names_the_key_and_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, TINY_RECIPE.replace("steps = 30", 'steps = "many"'))
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    assert "model.training.steps" in caught.value.message and str(path) in caught.value.message


def test_an_unknown_preset_is_refused_when_the_recipe_is_read(tmp_path: Path) -> None:
    """Before any stage runs: a typo must not cost the data and tokenizer stages first."""
    path = write(tmp_path, TINY_RECIPE.replace('preset = "micro"', 'preset = "mirco"'))
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    said = str(caught.value.message)
    assert "model.preset: unbekannte Voreinstellung „mirco“" in said and "micro, demo" in said


def test_unknown_key_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, TINY_RECIPE.replace("seq_len = 32", "seq_len = 32\nseqlen = 64"))
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    assert "model.training.seqlen: ist keine bekannte Einstellung" in caught.value.message
    assert "unbekannten Schlüssel" in str(caught.value.hint)


def test_missing_section_and_bad_toml_are_named(tmp_path: Path) -> None:
    no_release = TINY_RECIPE.split("[release]")[0]
    with pytest.raises(RecipeError, match="release: ist erforderlich"):
        load_recipe(write(tmp_path, no_release))
    with pytest.raises(RecipeError, match="kein gültiges TOML"):
        load_recipe(write(tmp_path, "name = \n"))
    with pytest.raises(RecipeError, match=r"Rezept: .*missing\.toml existiert nicht"):
        load_recipe(tmp_path / "missing.toml")


def test_finetune_section_resolves_paths_and_sets_method_defaults(tmp_path: Path) -> None:
    recipe = load_recipe(write(tmp_path, TINY_RECIPE))
    assert recipe.finetune is not None and recipe.finetune.data == (tmp_path / "chat.jsonl")
    assert recipe.finetune.base is None  # the recipe's own pretrained model
    assert recipe.finetune.training.learning_rate == 5e-3
    full = TINY_RECIPE.replace("merge = true", 'method = "full"').replace(
        "learning_rate = 5e-3\neval_every = 3", "eval_every = 3"
    )
    assert load_recipe(write(tmp_path, full)).finetune.training.learning_rate == 2e-5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('data = "chat.jsonl"\n', ""),
            "finetune.data: in einem Rezept sind die Feinabstimmungsdaten nötig",
        ),
        (
            ("merge = true", 'merge = true\nmethod = "full"'),
            "nur LoRA-Adapter werden zusammengeführt",
        ),
        (("merge = true", 'method = "qlora"'), "finetune.method"),
    ],
)
def test_finetune_section_errors(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(RecipeError, match=message):
        load_recipe(write(tmp_path, TINY_RECIPE.replace(*change)))


def test_release_licence_file_is_taken_from_the_recipes_folder(tmp_path: Path) -> None:
    source = TINY_RECIPE.replace("[release]\n", '[release]\nlicense_file = "LICENSE.weights"\n')
    assert source != TINY_RECIPE
    recipe = load_recipe(write(tmp_path, source))
    assert recipe.release.license_file == (tmp_path / "LICENSE.weights").resolve()
