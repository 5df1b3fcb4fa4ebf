"""The audit's terminal lines call the red team and its probes what the report calls them."""

from __future__ import annotations

import pytest

from gemeingut.audit.console_lines import suite_lines, unit
from gemeingut.audit.report_text import TEXT

RESULT = {
    "categories": {"jailbreak": {"attack_success": {"value": 0.25, "low": 0.1, "high": 0.5}}},
    "empty": 1,
    "answers": 4,
}


@pytest.mark.parametrize(
    ("language", "section", "probes"), [("de", "Red Team", "Proben"), ("en", "Red team", "probes")]
)
def test_red_team_lines_and_bar_use_the_reports_words(
    language: str, section: str, probes: str
) -> None:
    lines = suite_lines("redteam", RESULT, language)
    assert TEXT[language]["redteam"] == section
    assert lines[0].startswith(f"{section} Jailbreak:" if language == "de" else f"{section} ")
    assert lines[1].startswith(f"{section}: 1 ")
    assert unit("redteam", language) == probes
    assert TEXT[language]["probe_many"].format(n=3) == f"3 {probes}"


def test_no_german_terminal_line_says_attacks_or_red_teaming() -> None:
    said = " ".join([*suite_lines("redteam", RESULT, "de"), unit("redteam", "de")])
    assert "Angriffe" not in said and "Red-Teaming" not in said
    assert unit("bias", "de") == TEXT["de"]["pairs"]
