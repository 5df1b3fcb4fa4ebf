"""A recipe's errors that only the whole recipe shows (a source name repeated, a fine-tune
that lacks its data or would release an adapter alone), and an audit or curate config whose
table is none or holds sources, name the line of the key they are about, as every other
recipe error does: they named none, and the repeated name was not told apart from its first
use."""

from pathlib import Path

import pytest

from gemeingut.errors import RecipeError
from gemeingut.recipe import audit_section, data_section, load_recipe

RECIPE = """\
name = "ganz"

[data]

[[data.sources]]
name = "docs"
path = "docs.jsonl"

[[data.sources]]
name = "notes"
path = "notes"

[finetune]
data = "chat.jsonl"
method = "lora"
merge = true
data_license = "CC0-1.0"

[release]
model_name = "ganz"
"""


def _said(tmp_path: Path, old: str, new: str) -> str:
    assert old in RECIPE
    path = tmp_path / "recipe.toml"
    path.write_text(RECIPE.replace(old, new), encoding="utf-8")
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    return str(caught.value.message).removeprefix(str(path))


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [('name = "notes"', 'name = "docs"',  # the second use: the first may be the one meant
      ":10: data.sources.1.name: „docs“ ist schon der Name von data.sources.0"),
     ("merge = true", "merge = false", ":16: finetune.merge: das Rezept veröffentlicht das Modell"),
     ("merge = true\n", "", ":13: finetune.merge: das Rezept veröffentlicht"),  # its table's line
     ('data = "chat.jsonl"\n', "", ":13: finetune.data: in einem Rezept sind die Feinabstimmungs"),
     ('method = "lora"', 'method = "full"', ":16: finetune.merge: nur LoRA-Adapter werden"),
     ('"CC0-1.0"', '"CC0"', ":17: finetune.data_license: „CC0“ ist keine SPDX-Lizenzkennung; "
      "meinten Sie CC0-1.0?")],
)  # fmt: skip
def test_a_whole_recipe_error_names_the_line_of_its_key(
    tmp_path: Path, old: str, new: str, said: str
) -> None:
    assert _said(tmp_path, old, new).startswith(said)


@pytest.mark.parametrize(
    ("config", "overrides", "said"),
    [("max_new_tokens = 3\n\ntasks = 3\n", {"tasks.suite": "x"}, ":3: audit.tasks muss eine "
      "Tabelle sein"),
     ('name = "x"\n\naudit = "kaputt"\n', {}, ":3: audit muss eine Tabelle sein")],
)  # fmt: skip
def test_an_audit_config_that_is_no_table_names_the_line(
    tmp_path: Path, config: str, overrides: dict, said: str
) -> None:
    path = tmp_path / "audit.toml"
    path.write_text(config, encoding="utf-8")
    with pytest.raises(RecipeError) as caught:
        audit_section(path, overrides)
    assert str(caught.value.message) == f"{path}{said}"


def test_sources_in_a_curate_config_are_refused_at_their_line(tmp_path: Path) -> None:
    path = tmp_path / "curate.toml"
    path.write_text("min_chars = 2\n\nsources = []\n", encoding="utf-8")
    with pytest.raises(RecipeError) as caught:
        data_section([], path, {})
    assert str(caught.value.message) == f"{path}:3: data.sources ist hier nicht erlaubt"
