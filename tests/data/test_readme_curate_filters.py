"""README's "What curate does" names the text filters that run by default and how to turn
them off or tune them: 10 of 300 federal laws were dropped (bullet lines 0.914 > 0.9) by
filters it never mentioned. The keys and thresholds it shows are the ones the recipe takes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from gemeingut.data.filters.settings import FILTERS, FilterSettings

README = Path(__file__).resolve().parents[2] / "README.md"


def _curate_section() -> str:
    readme = README.read_text("utf-8")
    start = readme.index("## Curating a real corpus")
    return readme[start : readme.index("\n## ", start + 1)]


def test_the_readme_names_every_default_filter_and_the_table_that_sets_it() -> None:
    section = " ".join(_curate_section().split())
    defaults = FilterSettings()
    for name in FILTERS:
        assert getattr(defaults, name) is True  # on unless the recipe says otherwise
        assert f"`{name}`" in section, f"README does not name the filter {name}"
    assert "on by default" in section
    assert "`[data.filters]`" in section and "`false`" in section


def test_the_settings_the_readme_shows_are_taken_by_the_recipe() -> None:
    section = " ".join(_curate_section().split())
    shown = re.findall(r"`(\w+ = \{[^`]*\})`", section)
    assert shown, "README shows no threshold setting"
    for setting in shown:
        FilterSettings(**tomllib.loads(setting))  # an unknown threshold would be refused
