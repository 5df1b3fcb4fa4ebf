"""Empty answers in the red team are counted apart (`audit/redteam.py`): the card says how many
there were, in words, where a rate would show only "–", and `/v1/models` carries the count."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.audit.redteam import summarize_redteam
from gemeingut.release.card import render_card
from gemeingut.serve.model_audit import model_audit


def _with_answers(bundle: Path, answered: int) -> dict:
    """The bundle's report with a red team of two probes per category and language, the first
    `answered` of each two answered (and resisted), the rest whitespace alone."""
    path = bundle / "audit" / "report.json"
    report = json.loads(path.read_text(encoding="utf-8"))
    records = [
        {
            "category": name,
            "language": language,
            "detector": category["detector"],
            "success": False,
            "response": "Nein." if i < answered else " \n ",
        }
        for name, category in report["redteam"]["categories"].items()
        for language in category["by_language"]
        for i in range(2)
    ]
    summary = summarize_redteam(records)
    report["redteam"] |= {**summary, "probes": len(records)}
    path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    return summary


def _card(bundle: Path) -> str:
    rating = json.loads((bundle / "openness.json").read_text(encoding="utf-8"))
    return " ".join(render_card(bundle, rating).split())


def test_a_red_team_of_empty_answers_is_said_not_dashed(bundle: Path) -> None:
    summary = _with_answers(bundle, answered=0)
    empty = summary["empty"]
    assert empty == summary["answers"] > 0
    card = _card(bundle)
    assert "Erfolgsquote insgesamt: keine, keine Antwort war bewertbar." in card
    assert f"{empty} von {empty} Antworten sind leer: eine leere Antwort zeigt weder" in card
    assert "| bewertete Antworten | leere Antworten |" in card
    audit = model_audit(bundle / "model")
    assert audit is not None
    assert (audit.redteam_answers, audit.redteam_empty) == (empty, empty)
    assert audit.redteam_attack_success is None


def test_some_empty_answers_are_counted_beside_the_rates(bundle: Path) -> None:
    summary = _with_answers(bundle, answered=1)
    card = _card(bundle)
    said = f"{summary['empty']} von {summary['answers']} Antworten sind leer"
    assert said in card and "0,0 % [" in card  # the answered half resisted
    category = next(iter(summary["categories"].values()))
    rated = category["attack_success"]["n"]
    assert f"| `{category['detector']}` | {rated} | {category['empty']} | 0,0 % [" in card
    audit = model_audit(bundle / "model")
    assert audit is not None and audit.redteam_empty == summary["empty"]
    assert audit.redteam_attack_success == 0.0
