"""A recipe's validation error names the line of the key it is about (or of the table or
`[[data.sources]]` entry a missing key belongs in), as `recipe.toml:20: key.path: problem`:
the key path alone left a new user to search the file for it."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.errors import RecipeError
from gemeingut.recipe import audit_section, load_recipe, publication_info
from tests.corpus import open_documents, write_jsonl

# The description holds what looks like keys and tables: a scanner that does not skip strings
# would take its `steps` (line 4) for model.training.steps (line 20).
RECIPE = '''\
name = "lines"
description = """Ein Rezept, dessen Text Schlüssel nennt:
[model.training]
steps = "viele"  # kein Schlüssel, nur Text
"""

[data]
validation_fraction = 0.1

[[data.sources]]
name = "docs"
path = "docs.jsonl"

[[data.sources]]  # the second entry
name = "notes"
path = "notes"
license = "CC-BY-4.0"

[model.training]
steps = 30

[release]
model_name = "lines"
'''


def _refusal(tmp_path: Path, old: str, new: str, text: str = RECIPE) -> tuple[Path, str]:
    assert old and old in text
    path = tmp_path / "recipe.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    return path, str(caught.value.message)


def test_an_unknown_key_is_refused_with_its_line(tmp_path: Path) -> None:
    path, said = _refusal(tmp_path, "steps = 30\n", "steps = 30\nlerning_rate = 5e-3\n")
    assert said == (
        f"{path}:21: model.training.lerning_rate: ist keine bekannte Einstellung; "
        "meinten Sie learning_rate?"
    )


def test_the_line_is_said_in_english_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMEINGUT_LANG", "en")
    path, said = _refusal(tmp_path, "steps = 30\n", "steps = 30\nlerning_rate = 5e-3\n")
    assert said == (
        f"{path}:21: model.training.lerning_rate: is not a known setting; "
        "did you mean learning_rate?"
    )


def test_a_wrong_type_has_the_line_of_the_key_not_of_the_text_that_looks_like_it(
    tmp_path: Path,
) -> None:
    path, said = _refusal(tmp_path, "steps = 30", 'steps = "dreißig"')
    assert said.startswith(f"{path}:20: model.training.steps: ")


def test_a_bad_licence_in_the_second_source_has_its_line(tmp_path: Path) -> None:
    path, said = _refusal(tmp_path, 'license = "CC-BY-4.0"', 'license = "CC0"')
    assert said.startswith(f"{path}:17: data.sources.1.license: ")


def test_a_missing_key_has_the_line_of_its_table_or_entry(tmp_path: Path) -> None:
    path, said = _refusal(tmp_path, 'model_name = "lines"\n', "")
    assert said == f"{path}:22: release.model_name: ist erforderlich"
    path, said = _refusal(tmp_path, 'path = "notes"\n', "")
    assert said == f"{path}:14: data.sources.1.path: ist erforderlich"


def test_keys_of_an_inline_table_in_an_array_have_their_lines(tmp_path: Path) -> None:
    sources = RECIPE[RECIPE.index("[[data.sources]]") : RECIPE.index("\n\n[model.training]") + 2]
    inline = (
        "sources = [\n"
        '  { name = "docs", path = "docs.jsonl" },  # first\n'
        '  { name = "notes", path = "notes", licence = "CC0" },\n'
        "]\n\n"
    )
    path, said = _refusal(tmp_path, sources, inline)
    assert said.startswith(f"{path}:12: data.sources.1.licence: ")


def test_a_dotted_key_has_its_line(tmp_path: Path) -> None:
    path, said = _refusal(
        tmp_path, "[model.training]\nsteps = 30", '[model]\npreset = "micro"\ntraining.steps = 0'
    )
    assert said.startswith(f"{path}:21: model.training.steps: ")


def test_a_curate_config_names_the_line(tmp_path: Path) -> None:
    docs = write_jsonl(tmp_path / "docs.jsonl", open_documents(3))
    config = tmp_path / "c.toml"
    config.write_text('[data]\n# "split_sed" = 1 is a comment\nsplit_sed = 3\n', encoding="utf-8")
    result = CliRunner().invoke(
        app, ["data", "curate", str(docs), "--out", str(tmp_path / "ds"), "--config", str(config)]
    )
    assert result.exit_code == 2, result.output
    assert ":3: split_sed: ist keine bekannte Einstellung" in result.stderr


def test_a_publication_file_names_the_line(tmp_path: Path) -> None:
    info = tmp_path / "info.toml"
    info.write_text(
        '[data.publication]\ntitle_de = "Notizen"\n"publisher name" = "Amt"\n', encoding="utf-8"
    )
    with pytest.raises(RecipeError) as caught:
        publication_info(info)
    assert f"{info}:3: publisher name: ist keine bekannte Einstellung" in str(caught.value.message)


def test_a_value_from_the_command_line_has_no_line_of_the_file(tmp_path: Path) -> None:
    config = tmp_path / "audit.toml"
    config.write_text("[audit]\nbatch_tokens = 128\nseed = -1.5\n", encoding="utf-8")
    with pytest.raises(RecipeError) as caught:
        audit_section(config, {"batch_tokens": 8})
    said = str(caught.value.message)
    # the option's value is named as typed, not at the file's line of the key it replaced
    assert "--batch-tokens 8: " in said and f"{config}:3: seed: " in said
    assert f"{config}:2" not in said


def test_tricky_toml_is_located_or_left_without_a_line() -> None:
    """Quoted keys, `#` and `=` inside strings, a date with a space, nested arrays of tables."""
    import tomllib

    from gemeingut.recipe_lines import KeyLines

    source = (
        "a = 'x # y = 1'\n"  # 1
        '"b.c" = """\n'  # 2
        'd = 2 ""\n'  # 3
        '"""""\n'  # 4
        "when = 1979-05-27 07:32:00Z\n"  # 5
        "[[t]]\n"  # 6
        "[[t.u]]\n"  # 7
        "v = [[1, 2], [3,\n"  # 8
        "  4]]\n"  # 9
        "[[t]]\n"  # 10
        "[[t.u]]\n"  # 11
        "[[t.u]]\n"  # 12
        "w = { x.y = 'z' }  # w\n"  # 13
    )
    lines = KeyLines.of(source, tomllib.loads(source))
    assert lines.line(("b.c",)) == 2 and lines.line(("when",)) == 5
    assert lines.line(("d",)) is None
    assert lines.line(("t", 0, "u", 0, "v", 1, 1)) == 9
    assert lines.line(("t", 1, "u", 1, "w", "x", "y")) == 13
    assert lines.line(("t", 1, "u", 0, "missing")) == 11
