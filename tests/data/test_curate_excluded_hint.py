"""When `data curate` keeps no document, its hint follows the reasons that excluded them:
documents that all carried a licence and fell to the filters get no advice to give them one,
documents the licence gate refused get no advice to relax the filters."""

from __future__ import annotations

from pathlib import Path

from tests.corpus import write_jsonl
from tests.test_cli import invoke


def _hint(tmp_path: Path, records: list[dict]) -> str:
    data = write_jsonl(tmp_path / "docs.jsonl", records)
    result = invoke("data", "curate", data, "--out", tmp_path / "ds", "--workers", "1")
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "Traceback" not in said
    return said.split("Hinweis: ", 1)[1]


def test_documents_the_filters_dropped_get_no_licence_advice(tmp_path: Path) -> None:
    """Two licensed one-word documents: the quality filters drop both."""
    hint = _hint(tmp_path, [{"text": t, "license": "CC0-1.0"} for t in ("Hallo.", "Ja ja.")])
    assert hint.endswith("steht jeder Grund; lockern Sie die Filter"), hint
    assert "Lizenz" not in hint


def test_documents_the_licence_gate_refused_get_no_filter_advice(tmp_path: Path) -> None:
    records = [{"text": "Hallo.", "license": "CC-BY-NC-4.0"}, {"text": "Ja.", "license": ""}]
    hint = _hint(tmp_path, records)
    assert "geben Sie den Dokumenten eine offene Lizenz (--license oder ein Feld `license`)" in hint
    assert "Filter" not in hint, hint


def test_documents_without_attribution_are_told_to_give_it_not_a_licence(tmp_path: Path) -> None:
    """A CC-BY document without attribution or url has an open licence already: the hint asks
    for what is missing; beside an NC one, for an open licence too."""
    text = "Ein langer Satz über die Stadtbibliothek am Markt, lang genug für jeden Filter."
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    hint = _hint(tmp_path / "a", [{"text": text, "license": "CC-BY-4.0"}])
    assert hint.endswith(
        "geben Sie den Dokumenten eine Namensnennung und eine Quell-URL (--attribution und "
        "--url oder die Felder `attribution` und `url`)"
    ), hint
    assert "offene Lizenz" not in hint and "Filter" not in hint, hint
    records = [
        {"text": text, "license": "CC-BY-4.0"},
        {"text": text + " Noch einer.", "license": "CC-BY-NC-4.0"},
    ]
    hint = _hint(tmp_path / "b", records)
    assert "eine offene Lizenz (--license oder ein Feld `license`); geben Sie" in hint, hint
