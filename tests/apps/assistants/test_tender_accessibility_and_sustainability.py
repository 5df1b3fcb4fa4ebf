"""A tender that touches accessibility or the environment without requiring it: the finding
quotes the sentence that does (people with a disability named, fuel consumption asked for);
a tender that says nothing of either has findings whose titles say so; a tender that requires
both has neither finding, and words that only look alike ("Blindtext", "behindert",
"Verbrauchsmaterial") are not quoted."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.apps.assistants.tender import Finding, check_passages, check_tender, load_rules
from gemeingut.apps.rag.readers import Passage

PLANTED = """Ausschreibung: Neues Bürgerportal und Dienstfahrzeuge der Stadt Musterstadt

1. Gegenstand
Die Stadt beschafft ein Bürgerportal für Anträge. Die Stadt beschafft drei Dienstfahrzeuge.

2. Anforderungen an das Portal
Das Portal soll auch für Menschen mit Sehbehinderung gut nutzbar sein.

3. Anforderungen an die Fahrzeuge
Der Kraftstoffverbrauch je 100 km ist im Angebot anzugeben.
"""

CLEAN = """Ausschreibung: Neues Bürgerportal und Dienstfahrzeuge der Stadt Musterstadt

1. Gegenstand
Die Stadt beschafft ein Bürgerportal für Anträge. Die Stadt beschafft drei Dienstfahrzeuge.

2. Anforderungen an das Portal
Das Portal erfüllt die BITV 2.0 und ist für Menschen mit Sehbehinderung mit einem Screenreader
bedienbar.

3. Anforderungen an die Fahrzeuge
Die Fahrzeuge haben einen Energieverbrauch von höchstens 18 kWh je 100 km (Energieeffizienz).
"""


def _found(*paragraphs: str, language: str = "de") -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    for finding in check_passages([Passage(p) for p in paragraphs], load_rules(), language):
        found.setdefault(finding.rule, []).append(finding)
    return found


def _tender(tmp_path: Path, text: str) -> dict[str, Finding]:
    path = tmp_path / "ausschreibung.txt"
    path.write_text(text, encoding="utf-8")
    return {f.rule: f for f in check_tender(path, load_rules(), "de")}


def test_the_planted_tender_quotes_what_touches_each_subject(tmp_path: Path) -> None:
    found = _tender(tmp_path, PLANTED)
    access = found["barrierefreiheit"]
    assert (access.title, access.source) == (
        "Barrierefreiheit nicht berücksichtigt",
        "§ 121 Abs. 2 GWB",
    )
    assert (
        access.passage == "Das Portal soll auch für Menschen mit Sehbehinderung gut nutzbar sein."
    )
    assert access.section == "2. Anforderungen an das Portal"
    green = found["nachhaltigkeit"]
    assert green.source == "§ 97 Abs. 3 GWB; § 67 VgV"
    assert green.passage == "Der Kraftstoffverbrauch je 100 km ist im Angebot anzugeben."
    assert green.section == "3. Anforderungen an die Fahrzeuge"


def test_the_clean_tender_has_neither_finding(tmp_path: Path) -> None:
    found = _tender(tmp_path, CLEAN)
    assert "barrierefreiheit" not in found and "nachhaltigkeit" not in found


@pytest.mark.parametrize(
    "sentence",
    [
        "Der Eingang des Bürgerbüros ist mit dem Rollstuhl erreichbar.",
        "Die Formulare gibt es auch in Leichter Sprache.",
        "Für gehörlose Besucher steht ein Dolmetscher bereit.",
        "Die Räume sollen barrierearm gestaltet werden.",
        "Die Arbeitsplätze sind für schwerbehinderte Beschäftigte vorzusehen.",
    ],
)
def test_a_sentence_on_disability_without_the_requirement_is_quoted(sentence: str) -> None:
    [finding] = _found("Die Stadt beschafft Büromöbel.", sentence)["barrierefreiheit"]
    assert finding.passage == sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "Die Verpackung nimmt der Auftragnehmer zurück.",
        "Die Abgaswerte der Fahrzeuge sind anzugeben.",
        "Altgeräte entsorgt der Auftragnehmer.",
        "Der Stromverbrauch im Betrieb ist anzugeben.",
    ],
)
def test_a_sentence_on_consumption_or_waste_without_a_requirement_is_quoted(
    sentence: str,
) -> None:
    [finding] = _found("Die Stadt beschafft Drucker.", sentence)["nachhaltigkeit"]
    assert finding.passage == sentence


@pytest.mark.parametrize(
    ("language", "access", "green"),
    [
        (
            "de",
            "Barrierefreiheit fehlt: der Entwurf sagt nichts dazu",
            "Umwelt und Nachhaltigkeit fehlen: der Entwurf stellt keine Anforderungen",
        ),
        (
            "en",
            "Accessibility missing: the draft says nothing about it",
            "Environment and sustainability missing: the draft states no requirements",
        ),
    ],
)
def test_a_tender_silent_on_both_says_so(language: str, access: str, green: str) -> None:
    found = _found(
        "Die Stadt beschafft Drucker für das Rathaus.",
        "Die Vorlage des Handbuchs enthält einen Blindtext.",  # not "blind"
        "Der Dienstbetrieb darf nicht behindert werden.",  # hinders, not disabled
        "Verbrauchsmaterial wie Toner ist nicht Teil der Leistung.",  # consumables
        "Der Auftragnehmer nennt seine personellen Ressourcen.",
        language=language,
    )
    [a] = found["barrierefreiheit"]
    [g] = found["nachhaltigkeit"]
    assert (a.title, a.passage) == (access, None)
    assert (g.title, g.passage) == (green, None)


def test_a_denied_requirement_is_quoted_before_any_nearby_sentence() -> None:
    denied = "Barrierefreiheit wird nicht gefordert."
    [finding] = _found("Der Eingang ist mit dem Rollstuhl erreichbar.", denied)["barrierefreiheit"]
    assert finding.passage == denied
