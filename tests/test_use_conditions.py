from pathlib import Path

import pytest

from gemeingut.build import build
from gemeingut.errors import InputError
from tests.conftest import write_tiny_project


def with_conditions(root: Path, conditions: str, release_extra: str = "") -> Path:
    recipe = write_tiny_project(root)
    text = recipe.read_text().replace(
        'attribution = "Notes team"', f'attribution = "Notes team"\nuse_conditions = {conditions}'
    )
    recipe.write_text(text.replace("[release]\n", f"[release]\n{release_extra}"))
    return recipe


def test_release_that_breaks_a_use_condition_is_refused(tmp_path: Path) -> None:
    recipe = with_conditions(tmp_path / "p", '["non-commercial"]')
    with pytest.raises(InputError, match="erlaubt nur nicht-kommerzielle Nutzung") as caught:
        build(recipe, tmp_path / "ws")
    assert "commercial_use = false" in str(caught.value.hint)
    assert not (tmp_path / "ws" / "release").exists() or not any(
        p.name.startswith("rel-") for p in (tmp_path / "ws" / "release").iterdir()
    )


def test_conditions_are_carried_into_the_dataset_and_the_card(tmp_path: Path) -> None:
    recipe = with_conditions(
        tmp_path / "p", '["non-commercial", "ask the Notes team first"]', "commercial_use = false\n"
    )
    summary = build(recipe, tmp_path / "ws")
    card = (Path(summary["release"]["path"]) / "bundle" / "README.md").read_text()
    assert "non-commercial (beim Release geprüft)" in card
    assert "ask the Notes team first (nicht maschinell geprüft)" in card
    assert "Dieses Release erlaubt keine kommerzielle Nutzung des Modells." in card


def test_open_model_only_refuses_a_closed_model_licence(tmp_path: Path) -> None:
    recipe = with_conditions(tmp_path / "p", '["open-model-only"]')
    recipe.write_text(
        recipe.read_text().replace('license = "Apache-2.0"', 'license = "LicenseRef-Proprietary"')
    )
    with pytest.raises(InputError, match="verlangt eine offene Lizenz des Modells"):
        build(recipe, tmp_path / "ws")
