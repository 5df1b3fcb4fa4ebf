"""A Bauamt's tender (the trial of issue 12): a vehicle named by its type and model number is
not neutral, even without "Marke" or "Hersteller"; the award-criteria finding quotes the
sentence that names the criteria without weights, or says that none are named; a deadline's
dates are written in the reader's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.apps.assistants.tender import Finding, check_passages, check_tender, load_rules
from gemeingut.apps.rag.readers import Passage
from gemeingut.errors import InputError

DRAFT = """Ausschreibung: Lieferung von Streufahrzeugen für den Bauhof der Stadt Musterstadt

1. Gegenstand der Leistung
Die Stadt Musterstadt beschafft zwei Kommunalfahrzeuge mit Streuaufbau für den Winterdienst.
Gefordert ist ein Fahrgestell vom Typ Mercedes-Benz Unimog U 423 mit Streuautomat.

2. Zuschlag
Der Zuschlag wird auf das wirtschaftlichste Angebot erteilt. Berücksichtigt werden Preis,
Qualität, Lieferzeit und Kundendienst.

3. Fristen
Die Angebote sind bis zum 10. Januar 2027 einzureichen. Die Bekanntmachung erfolgt am
3. Januar 2027. Der geschätzte Auftragswert beträgt 420.000 Euro netto (EU-weites Verfahren).
"""


def _found(*paragraphs: str, language: str = "de") -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    for finding in check_passages([Passage(p) for p in paragraphs], load_rules(), language):
        found.setdefault(finding.rule, []).append(finding)
    return found


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    path = tmp_path / "ausschreibung-bauhof.txt"
    path.write_text(DRAFT, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "sentence",
    [
        "Gefordert ist ein Fahrgestell vom Typ Mercedes-Benz Unimog U 423 mit Streuautomat.",
        "Zu liefern ist eine Kehrmaschine vom Typ Swingo 200.",  # a model no list knows
        "Geliefert wird eine Kompaktkehrmaschine Modell: Citymaster 1650.",
        "Die Fahrzeuge sind des Typs Rapid Kompakt 3000 zu liefern.",
        "Beschafft wird ein Geräteträger Multicar mit Winterdienstausrüstung.",
        "Zwei Lkw von MAN mit Kippaufbau sind zu liefern.",
        "Der Schlepper ist ein Fendt mit Frontlader.",
        "Gefordert ist ein Unimog mit Schneepflug.",
    ],
)
def test_a_vehicle_named_by_type_or_brand_is_not_neutral(sentence: str) -> None:
    assert [f.passage for f in _found(sentence)["produktneutral"]] == [sentence]


@pytest.mark.parametrize(
    "sentence",
    [
        "Die Brandschutzklappen entsprechen Typ A der DIN 4102.",
        "Das Modell der Kostenberechnung folgt der DIN 276.",
        "Fehlerstromschutzschalter Typ B, 30 mA, sind vorzusehen.",
        "Die Ladepunkte haben Stecker vom Typ 2 nach IEC 62196.",
        "Zu liefern sind Container vom Typ ISO 668 in 20 Fuß.",
        "Bitte geben Sie Hersteller, Typ und Modell des Fahrgestells an.",
        "Ein Fahrzeug vom Typ Euro 6 ist gefordert.",
        "Das Fahrzeug ist vom Typ Kompaktlader mit 2 t Nutzlast.",
        "Die Lüftung ist vom Typ Luftwäscher 2.000 m³/h auszulegen.",
        "Der Tank vom Typ Doppelwand 3000 Liter ist zu liefern.",
        "Was man bei der Wartung beachten muss, regelt Anlage 3.",
        "Gefordert ist ein Fahrgestell vom Typ Mercedes-Benz Unimog U 423 oder gleichwertig.",
    ],
)
def test_types_norms_and_the_word_man_are_no_product(sentence: str) -> None:
    assert "produktneutral" not in _found(sentence)


def test_the_trial_tender_is_found_with_its_passages(draft: Path) -> None:
    found = {f.rule: f for f in check_tender(draft, load_rules(), "de")}
    assert found["produktneutral"].passage == (
        "Gefordert ist ein Fahrgestell vom Typ Mercedes-Benz Unimog U 423 mit Streuautomat."
    )
    criteria = found["zuschlagskriterien"]
    assert criteria.title == "Zuschlagskriterien oder ihre Gewichtung fehlen"
    assert " ".join((criteria.passage or "").split()) == (
        "Berücksichtigt werden Preis, Qualität, Lieferzeit und Kundendienst."
    )
    assert criteria.section == "2. Zuschlag"
    assert found["angebotsfrist"].title.endswith(
        "7 Tage vom 3. Januar 2027 bis zum 10. Januar 2027"
    )


def test_the_english_finding_writes_its_dates_in_english(draft: Path) -> None:
    found = {f.rule: f for f in check_tender(draft, load_rules(), "en")}
    assert found["angebotsfrist"].title == (
        "Tender deadline too short for an open procedure: 7 days from January 3, 2027 to "
        "January 10, 2027"
    )


def test_criteria_named_by_their_word_without_weights_are_quoted() -> None:
    said = "Zuschlagskriterien sind der Preis und die Qualität der Geräte."
    [finding] = _found("Die Stadt beschafft Streufahrzeuge.", said)["zuschlagskriterien"]
    assert finding.passage == said


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("de", "Zuschlagskriterien fehlen: der Entwurf nennt keine"),
        ("en", "Award criteria missing: the draft names none"),
    ],
)
def test_a_draft_that_names_no_criteria_says_so(language: str, title: str) -> None:
    found = _found(
        "Die Stadt beschafft zwei Streufahrzeuge.",
        "Der Preis ist netto anzugeben.",  # a price, but no criterion
        language=language,
    )
    [finding] = found["zuschlagskriterien"]
    assert (finding.title, finding.passage) == (title, None)


def test_criteria_with_their_weights_are_no_finding() -> None:
    found = _found(
        "Zuschlagskriterien: Preis 60 %, Qualität 30 %, Kundendienst 10 %.",
    )
    assert "zuschlagskriterien" not in found


def test_cite_in_a_rule_without_required_is_named(tmp_path: Path) -> None:
    own = tmp_path / "eigen.yaml"
    own.write_text(
        "rules:\n"
        "  - id: vertragsstrafe\n"
        '    source: "§ 9a VOB/A"\n'
        "    severity: warning\n"
        "    title: Vertragsstrafe prüfen\n"
        "    advice: höchstens 5 %\n"
        '    forbidden: ["Vertragsstrafe"]\n'
        '    cite: ["Strafe"]\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="cite und absent gelten nur für eine Regel mit required"):
        load_rules([own])
