"""A wrong value given as a command-line option is refused naming that option and the value
typed (`--suite biass`), with the allowed value meant: "command line: suites.0" named a key the
user never wrote, in English."""

from pathlib import Path

import pytest

from gemeingut.errors import RecipeError
from gemeingut.i18n import text
from gemeingut.recipe import SourceSpec, audit_section, data_section


def _refusal(config: Path | None, overrides: dict[str, object]) -> str:
    with pytest.raises(RecipeError) as caught:
        audit_section(config, overrides)
    return str(caught.value.message)


def test_an_option_s_hint_points_to_the_help_not_to_a_key() -> None:
    with pytest.raises(RecipeError) as caught:
        audit_section(None, {"suites": ["biass"]})
    assert text(caught.value.hint) == "die erlaubten Werte nennt `--help`"


def test_a_wrong_suite_names_the_option_and_the_suite_meant() -> None:
    said = _refusal(None, {"suites": ["biass"]})
    assert said.startswith("--suite biass: muss eines sein von: 'tasks', 'bias'")
    assert said.endswith("; meinten Sie bias?")
    assert "command line" not in said and "suites.0" not in said


def test_a_number_out_of_range_names_its_option() -> None:
    said = _refusal(None, {"suites": ["memorisation"], "memorisation.samples": 0})
    assert said == "--samples 0: muss mindestens 1 sein"


def test_a_config_file_key_keeps_its_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "audit.toml"
    config.write_text('[audit]\nsuites = ["biass"]\n', encoding="utf-8")
    said = _refusal(config, {"device": "cpu"})
    assert said.startswith(f"{config}:2: suites.0: muss eines sein von:")
    assert said.endswith("; meinten Sie bias?")


def test_a_curate_option_is_named_too(tmp_path: Path) -> None:
    with pytest.raises(RecipeError) as caught:
        source = SourceSpec(name="a", path=tmp_path / "a.jsonl", license="CC0-1.0")
        data_section([source], None, {"workers": 0})
    said = str(caught.value.message)
    assert said == "--workers 0: muss mindestens 1 sein"
