"""`gemeingut build` refuses a recipe's fine-tune before anything is built, as `model finetune`
does, and says the recipe key and its line: data an open model may not be made from, and an
input that is not there, were found only when their stage came, after curating and pretraining
(a missing source said without the key that names it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.model.tiny_models import make_model
from tests.test_cli import invoke

RECIPE = """\
name = "klein"

[[data.sources]]
name = "docs"
path = "docs.jsonl"

[finetune]
data = "chat.jsonl"
merge = true
data_license = "CC0-1.0"

[release]
model_name = "klein"
license = "Apache-2.0"
"""


def _build(tmp_path: Path, old: str = "", new: str = "", *, present: tuple[str, ...] = ()):
    """Build the recipe with `old` made `new`, of whose inputs only `present` exist."""
    for name in present:
        (tmp_path / name).write_text('{"text": "Ein Satz."}\n', encoding="utf-8")
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(RECIPE.replace(old, new), encoding="utf-8")
    result = invoke("build", recipe, "--workspace", tmp_path / "ws")
    return " ".join(result.stderr.split()), result


@pytest.mark.parametrize("data_licence", ["CC-BY-NC-4.0", "CC-BY-ND-4.0"])
def test_data_no_open_model_may_be_made_from_is_refused_at_its_recipe_line(
    tmp_path: Path, data_licence: str
) -> None:
    said, result = _build(tmp_path, "CC0-1.0", data_licence)
    assert result.exit_code == 2, said
    recipe = tmp_path / "recipe.toml"
    assert said.startswith(f"Fehler: {recipe}:10: finetune.data_license {data_licence}: "), said
    assert "nicht unter einer offenen Lizenz wie Apache-2.0 veröffentlicht" in said
    assert "release.license" in said and "--license" not in said
    assert not (tmp_path / "ws").exists()


@pytest.mark.parametrize(
    ("present", "key", "line", "missing"),
    [(("chat.jsonl",), "data.sources.0.path", 5, "docs.jsonl"),
     (("docs.jsonl",), "finetune.data", 8, "chat.jsonl")],
)  # fmt: skip
def test_an_input_that_is_not_there_is_said_with_its_recipe_line_before_any_stage(
    tmp_path: Path, present: tuple[str, ...], key: str, line: int, missing: str
) -> None:
    said, result = _build(tmp_path, present=present)
    assert result.exit_code == 2, said
    place = f"{tmp_path / 'recipe.toml'}:{line}: {key}"
    assert said.startswith(f"Fehler: {place}: die Eingabe {tmp_path / missing} existiert nicht")
    assert not (tmp_path / "ws").exists()


def test_a_release_licence_the_base_forbids_is_refused_at_the_base_s_recipe_line(
    tmp_path: Path,
) -> None:
    base = make_model(tmp_path / "basis")
    (base / "README.md").write_text("---\nlicense: cc-by-sa-4.0\n---\n", encoding="utf-8")
    said, result = _build(tmp_path, "merge = true", f'base = "{base}"\nmerge = true')
    assert result.exit_code == 2, said
    assert said.startswith(f"Fehler: {tmp_path / 'recipe.toml'}:9: finetune.base: "), said
    assert "--license CC-BY-SA-4.0 (release.license" in said
    assert not (tmp_path / "ws").exists()
