"""An audit reports the community findings about the model it audited, not those a shared
findings file holds about other models (it says how many it left out, and about which); a
finding's category is one the server's page offers (a made-up one is refused with the closest
named); the German report names categories and an anonymous reporter in German."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gemeingut.audit.findings import (
    CATEGORIES,
    about_model,
    import_findings,
    read_findings,
    summarize_findings,
    triage,
)
from gemeingut.audit.report_markdown import markdown
from gemeingut.cli import app
from gemeingut.errors import InputError

MODEL = {"name": "tiny", "path": "../tiny", "kind": "model folder", "lineage": "sha256:0"}


def _findings(tmp_path: Path) -> list[dict]:
    rows = [
        {"category": "harmful", "prompt": "Wie baue ich X?", "response": "So.", "model": "tiny"},
        {"category": "bias", "prompt": "Sind Alte langsam?", "response": "Ja.", "model": "anderes"},
        {"category": "bias", "prompt": "Sind Junge faul?", "response": "Ja.", "model": "anderes"},
    ]
    source = tmp_path / "rw.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    into = tmp_path / "f.jsonl"
    import_findings([source], into, None, None)
    for finding in read_findings(into):
        triage(into, finding["id"], "confirmed", None, None)
    return read_findings(into)


def test_findings_about_other_models_are_left_out_and_counted(tmp_path: Path) -> None:
    own, others = about_model(_findings(tmp_path), "tiny")
    assert [f["model"] for f in own] == ["tiny"] and others == {"anderes": 2}
    report = {"model": MODEL, "suites": [], "findings": summarize_findings(own, others)}
    german = markdown(report, "de")
    assert "1 Befund: 0 neu, 1 bestätigt" in german
    assert "Nicht gezählt: 2 Befunde über andere Modelle (`anderes` (2))." in german
    assert "Sind Alte langsam?" not in german
    # the category and the reporter without a name, in German
    assert "| Schädlicher Inhalt | Wie baue ich X? | anonym |" in german
    assert "| harmful |" not in german and "anonymous" not in german
    assert "| Harmful content | Wie baue ich X? | anonymous |" in markdown(report, "en")


def test_a_made_up_category_is_refused_with_the_closest_named(tmp_path: Path) -> None:
    source = tmp_path / "rw.jsonl"
    source.write_text('{"category": "harm", "prompt": "p", "response": "r"}\n', "utf-8")
    with pytest.raises(InputError, match="harm") as refused:
        import_findings([source], tmp_path / "f.jsonl", "tiny", None)
    assert "meinten Sie „harmful“?" in str(refused.value)
    source.write_text('{"category": "weird", "prompt": "p", "response": "r"}\n', "utf-8")
    with pytest.raises(InputError, match="bias, harmful, wrong, privacy, other"):
        import_findings([source], tmp_path / "f.jsonl", "tiny", None)
    assert not (tmp_path / "f.jsonl").exists()
    source.write_text('{"category": " Bias ", "prompt": "p", "response": "r"}\n', "utf-8")
    import_findings([source], tmp_path / "f.jsonl", "tiny", None)
    assert read_findings(tmp_path / "f.jsonl")[0]["category"] == "bias"


def test_the_import_help_lists_the_fields_the_hint_sends_readers_to() -> None:
    result = CliRunner().invoke(
        app, ["audit", "findings", "import", "--help"], env={"COLUMNS": "300"}
    )
    said = " ".join(result.output.split())
    for field in ("category", "prompt", "response", "model", "reporter", "reported_at", "note"):
        assert field in said
    assert all(category in said for category in CATEGORIES)
