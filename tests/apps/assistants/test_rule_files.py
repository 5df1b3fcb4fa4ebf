"""An office writes its own tender rules in its own language: a text in German only (or as one
plain string) serves both languages, and a mistake is named by file, line, rule and field,
with the key meant where one is misspelt."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.apps.assistants.tender import check_passages, load_rules
from gemeingut.apps.rag.readers import Passage
from gemeingut.errors import InputError
from tests.test_cli import invoke

GERMAN_ONLY = """rules:
  - id: tariftreue
    source: "§ 1 TVgG NRW"
    severity: fehler
    title:
      de: Tariftreue fehlt
    advice:
      de: Eine Tariftreueerklärung fordern.
    required:
      - ["Tariftreue", "Mindestlohn"]
  - id: vertragsstrafe
    source: "§ 9a VOB/A"
    severity: warning
    title: Vertragsstrafe prüfen
    advice: {en: Keep it at 5 % at most.}
    forbidden: ["Vertragsstrafe"]
"""
MISSPELT = """rules:
  - id: tariftreue
    source: "§ 1 TVgG NRW"
    severity: error
    title: Tariftreue fehlt
    advice: Eine Tariftreueerklärung fordern.
    required: ["Tariftreue", "Mindestlohn"]
  - id: vertragsstrafe
    source: "§ 9a VOB/A"
    severity: warning
    title: {de: Vertragsstrafe zu hoch}
    advice: {de: max 5 %}
    forbiden:
      - "Vertragsstrafe"
"""


def _own(tmp_path: Path, content: str, name: str = "eigen.yaml") -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_rule_written_in_german_only_serves_both_languages(tmp_path: Path, language: str) -> None:
    rules = load_rules([_own(tmp_path, GERMAN_ONLY)])
    draft = [Passage("Die Vertragsstrafe beträgt 10 Prozent.")]
    found = {f.rule: f for f in check_passages(draft, rules, language)}
    wage = found["tariftreue"]
    assert (wage.title, wage.severity) == ("Tariftreue fehlt", "error")  # `fehler` is `error`
    assert found["tariftreue"].advice == "Eine Tariftreueerklärung fordern."
    assert found["vertragsstrafe"].title == "Vertragsstrafe prüfen"  # a plain string: both
    assert found["vertragsstrafe"].advice == "Keep it at 5 % at most."  # English only: both


def test_a_misspelt_key_is_named_with_its_line_and_the_key_meant(tmp_path: Path) -> None:
    own = _own(tmp_path, MISSPELT)
    with pytest.raises(InputError) as raised:
        load_rules([own])
    said = str(raised.value.message)
    assert said.startswith(f"{own}: Zeile 7, Regel 1 (tariftreue), Feld required: ist eine Liste")
    assert "[[A, B]] verlangt eines von A und B, [[A], [B]] beide" in said
    assert "Feld forbiden: ist keine bekannte Einstellung; meinten Sie forbidden?" in said
    assert "Zeile 13, Regel 2 (vertragsstrafe), Feld forbiden" in said
    assert "title" not in said  # a German-only text is no mistake


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (GERMAN_ONLY.replace('["Tariftreue", ', '["Tariftreue(", '),
         "Zeile 10, Regel 1 (tariftreue), Feld required.0.0: das Muster „Tariftreue(“ ist kein "
         "regulärer Ausdruck"),
        (GERMAN_ONLY.replace("severity: warning", "severity: wichtig"),
         "Zeile 13, Regel 2 (vertragsstrafe), Feld severity: muss eines sein von"),
        (GERMAN_ONLY.replace('    source: "§ 9a VOB/A"\n', ""),
         "Zeile 11, Regel 2 (vertragsstrafe), Feld source: ist erforderlich"),
        (GERMAN_ONLY.replace("    advice: {en", "    advise: {en"),
         "Zeile 15, Regel 2 (vertragsstrafe), Feld advise: ist keine bekannte Einstellung; "
         "meinten Sie advice?"),
    ],
)  # fmt: skip
def test_a_content_error_names_its_file_and_line(
    tmp_path: Path, content: str, expected: str
) -> None:
    own = _own(tmp_path, content)
    with pytest.raises(InputError) as raised:
        load_rules([own])
    assert f"{own}: " in str(raised.value.message)
    assert expected in str(raised.value.message)


def test_the_command_takes_a_german_only_rule_file(tmp_path: Path) -> None:
    draft = tmp_path / "entwurf.txt"
    draft.write_text("Die Vertragsstrafe beträgt 10 Prozent.\n", encoding="utf-8")
    own = _own(tmp_path, GERMAN_ONLY)
    english = invoke("--lang", "en", "assist", "tender", draft, "--rules", own)
    assert "Tariftreue fehlt (§ 1 TVgG NRW)" in english.output, english.output
    broken = invoke("assist", "tender", draft, "--rules", _own(tmp_path, MISSPELT, "b.yaml"))
    assert broken.exit_code != 0
    assert "b.yaml: Zeile 7, Regel 1 (tariftreue)" in broken.output
    assert "meinten Sie forbidden?" in broken.output


def test_a_misspelt_top_level_key_gets_its_hint_too(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        load_rules([_own(tmp_path, GERMAN_ONLY.replace("rules:", "rule:"))])
    assert "Zeile 1, Feld rule: ist keine bekannte Einstellung; meinten Sie rules?" in str(
        raised.value.message
    )
