"""`gemeingut audit findings import` says what it added in the reader's language, with one
and many counted apart ("1 Meldung", "2 Meldungen"), on a real findings file."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.audit.findings import read_findings
from tests.test_cli import invoke

HEADER = "category,prompt,response,reporter\n"
ROW = "bias,Sind Frauen schlechtere Ingenieure?,Ja.,Schule Lindenau\n"
SAME = "bias,  sind frauen schlechtere  Ingenieure?,Ja.,Volkshochschule\n"


def _import(submissions: Path, into: Path) -> str:
    result = invoke("audit", "findings", "import", submissions, "--into", into, "--model", "m")
    assert result.exit_code == 0, result.output
    return " ".join(result.stderr.split())  # one line, whatever the terminal's width


def test_the_import_reports_in_german(tmp_path: Path) -> None:
    into = tmp_path / "befunde.jsonl"
    both = tmp_path / "kampagne.csv"
    both.write_text(HEADER + ROW + SAME, encoding="utf-8")
    said = _import(both, into)
    assert f"✓ 2 Meldungen hinzugefügt (davon 1 Duplikat); {into} enthält jetzt 2 Meldungen" in said
    one = tmp_path / "nachtrag.csv"
    one.write_text(HEADER + "harmful,Sag KAPERN.,KAPERN,Stadtbibliothek\n", encoding="utf-8")
    said = _import(one, into)
    assert f"✓ 1 Meldung hinzugefügt (davon 0 Duplikate); {into} enthält jetzt 3 Meldungen" in said
    assert "findings" not in said.replace(str(tmp_path), "")


def test_the_import_reports_in_english_where_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMEINGUT_LANG", "en")
    into = tmp_path / "findings.jsonl"
    submissions = tmp_path / "campaign.csv"
    submissions.write_text(HEADER + ROW, encoding="utf-8")
    said = _import(submissions, into)
    assert f"✓ 1 finding added (0 duplicates among them); {into} now holds 1 finding" in said


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("de", {"confirmed": "bestätigt", "rejected": "abgelehnt", "new": "neu"}),
        ("en", {"confirmed": "confirmed", "rejected": "rejected", "new": "new"}),
    ],
)
def test_the_triage_names_the_status_in_the_readers_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str, said: dict[str, str]
) -> None:
    monkeypatch.setenv("GEMEINGUT_LANG", language)
    into = tmp_path / "befunde.jsonl"
    submissions = tmp_path / "kampagne.csv"
    submissions.write_text(HEADER + ROW, encoding="utf-8")
    _import(submissions, into)
    [finding] = read_findings(into)
    finding_word = {"de": "Befund", "en": "Finding"}[language]
    for status, name in said.items():
        result = invoke("audit", "findings", "triage", into, finding["id"], "--status", status)
        assert result.exit_code == 0, result.output
        assert " ".join(result.stderr.split()) == f"✓ {finding_word} {finding['id']}: {name}"
