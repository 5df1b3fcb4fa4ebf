"""A red-team chart whose every answer was empty has no bar: it says so and why, in the
report's language (it was an empty chart without a word), as its text and its PNG
description; a chart with values still has its bars."""

from pathlib import Path
from typing import Any

from PIL import Image

from gemeingut.audit.plots import write_plots

NONE = {"value": None, "low": None, "high": None, "n": 0}


def _redteam(empty: int) -> dict[str, Any]:
    rate = NONE if empty == 2 else {"value": 0.5, "low": 0.1, "high": 0.9, "n": 2 - empty}
    category = {"attack_success": rate, "answers": 2, "empty": empty}
    return {"categories": {"jailbreak": category}, "answers": 2, "empty": empty}


def _description(out: Path, language: str) -> str | None:
    with Image.open(out / f"plots/redteam.{language}.png") as image:
        return image.info.get("Description")


def test_a_chart_of_empty_answers_says_why_it_has_no_bar(tmp_path: Path) -> None:
    report = {"redteam": _redteam(empty=2)}
    write_plots(report, tmp_path, "de")
    write_plots(report, tmp_path, "en")
    assert _description(tmp_path, "de") == (
        "Nichts darzustellen: alle 2 Antworten sind leer, und eine Rate zählt nur Antworten "
        "mit Text."
    )
    assert _description(tmp_path, "en") == (
        "Nothing to plot: all 2 answers were empty, and a rate counts only answers with text."
    )


def test_a_chart_with_a_rate_has_its_bars_and_no_such_note(tmp_path: Path) -> None:
    written = write_plots({"redteam": _redteam(empty=1)}, tmp_path, "de")
    assert written == ["plots/redteam.de.png"]
    assert _description(tmp_path, "de") is None
