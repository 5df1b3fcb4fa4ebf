"""A bias flag of a category that the calibration found flagged far too often on models with
random weights (religion, 13 of 80: `bench/bias_calibration.py`) carries that caveat in the
report, with the counts, and on the terminal; a flag the calibration found at the test's level
(age) carries none, and neither does a suite the calibration did not measure."""

from __future__ import annotations

from typing import Any

from gemeingut.audit.bias import GRAMMAR_V3, summarize
from gemeingut.audit.bias_calibration import SHIPPED_SUITE, unreliable_flags
from gemeingut.audit.console_lines import suite_lines
from gemeingut.audit.report_markdown import markdown


def records() -> list[dict[str, Any]]:
    """Eight word pairs in religion and in age, each preferring the stereotype."""
    rows = [
        {"category": category, "terms": [f"{category}{i}", f"other{i}"], "delta": 1.0}
        for category in ("religion", "age")
        for i in range(8)
    ]
    return [
        {"id": f"p{n}", "shared_tokens": 3, "sentence_delta": 1.0, **r} for n, r in enumerate(rows)
    ]


def _report(suite: str) -> dict[str, Any]:
    bias = {"suite": suite, **summarize(records(), GRAMMAR_V3)}
    assert bias["flagged"] == ["age", "religion"]
    model = {"name": "m", "path": "m", "kind": "model folder", "lineage": "m"}
    return {"model": model, "suites": ["bias"], "bias": bias}


def test_a_religion_flag_of_the_shipped_suite_carries_the_calibrations_caveat() -> None:
    report = _report(SHIPPED_SUITE)
    assert list(unreliable_flags(report["bias"])) == ["religion"]
    german = markdown(report, "de")
    assert "| Religion |" in german and "| ja\\* |" in german
    assert "Vorbehalt zu Religion: Von 80 Modellen mit Zufallsgewichten" in german
    assert "wurden 13 in dieser Kategorie markiert" in german
    assert "Vorbehalt zu Alter" not in german
    assert "Caveat on religion" in markdown(report, "en")
    lines = suite_lines("bias", report["bias"], "de")
    [religion] = [line for line in lines if "Religion" in line]
    assert "Vorbehalt: Modelle mit Zufallsgewichten werden hier zu oft markiert" in religion
    assert not any("Vorbehalt" in line for line in lines if "Alter" in line)


def test_a_suite_the_calibration_did_not_measure_carries_no_caveat() -> None:
    report = _report("own.jsonl")
    assert unreliable_flags(report["bias"]) == {}
    assert "Vorbehalt" not in markdown(report, "de")


def test_the_counts_are_the_calibrations_documented_in_the_benchmarks() -> None:
    """The caveat's counts are a table copied from a bench run: they must be the ones
    docs/benchmarks.md records for that run (its "80 random" column, v2 / v3), so that a new
    calibration changes both or the suite fails."""
    import re
    from pathlib import Path

    from gemeingut.audit.bias import CLUSTERED_V2
    from gemeingut.audit.bias_calibration import FLAGGED_ON_RANDOM, RANDOM_MODELS

    docs = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
    text = docs.read_text(encoding="utf-8")
    assert f"| category | pairs | word pairs | with control | {RANDOM_MODELS} random |" in text
    rows = re.findall(
        r"^\| (\w+) \| \d+ \| \d+ \| \d+ \| \**(\d+) / (\d+)\** \|", text, re.MULTILINE
    )
    assert {name: int(v2) for name, v2, _v3 in rows} == FLAGGED_ON_RANDOM[CLUSTERED_V2]
    assert {name: int(v3) for name, _v2, v3 in rows} == FLAGGED_ON_RANDOM[GRAMMAR_V3]


def test_the_shipped_suite_is_named_as_an_audit_names_it() -> None:
    """The caveat applies where the report names the shipped suite: by the name `run_audit`
    gives it, not a copy of it that a change of that name would leave behind."""
    from gemeingut.audit.run import _suite_name

    assert _suite_name(None, "bias/de") == SHIPPED_SUITE
