"""The tender check reads deadlines and sole sources as drafts write them. „Angebote bis
15.01.2027, 12:00 Uhr.“ was answered „Keine Frist für Angebote genannt“ (the rule wanted a verb
such as „einzureichen“), and „Reinigungsmittel ausschließlich von Frosch“ was not flagged
while „Es werden ausschließlich Reinigungsmittel von Frosch geliefert“ was. Both ways, with
phrasings written for this test: a deadline as a date (15.01.2027, 15. Januar 2027,
2027-01-15, with or without time) after „bis (zum)“, „spätestens (am)“, the deadline's name or
a term for the offers; a sole source in either word order, after a brand or maker; and none of
it where the text is no deadline (a binding period, questions) or allows „oder gleichwertig“."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.apps.assistants.dates import with_dates
from gemeingut.apps.assistants.tender import check_passages, load_rules
from gemeingut.apps.rag.readers import Passage
from tests.test_cli import invoke

RULES = load_rules()


def _rules_found(sentence: str) -> set[str]:
    return {f.rule for f in check_passages([Passage(sentence)], RULES, "de")}


@pytest.mark.parametrize(
    "sentence",
    [
        "Angebote bis 15.01.2027, 12:00 Uhr.",
        "Angebote spätestens 15.01.2027.",
        "Angebotsabgabe bis 15.01.2027, 12:00 Uhr.",
        "Die Angebote müssen bis zum 15.01.2027, 10:00 Uhr, bei der Stadt eingegangen sein.",
        "Ihr Angebot muss spätestens am 15.01.2027 um 12 Uhr vorliegen.",
        "Die Angebote sind spätestens am 2027-01-15 über die Vergabeplattform hochzuladen.",
        "Eingang der Angebote bis zum 15. Januar 2027, 11 Uhr.",
        "Abgabe der Angebote: bis spätestens Freitag, 15.01.2027, 12:00 Uhr.",
        "Angebote können bis zum 15.01.27 abgegeben werden.",
        "Angebotsfrist: 15.01.2027, 12:00 Uhr",
        "Ablauf der Angebotsfrist: 2027-01-15 12:00",
        "Die Angebotsfrist läuft bis zum 15. Januar 2027.",
        "Schlusstermin für den Eingang der Angebote: 15.01.2027",
        "Abgabetermin: 15.01.2027, 12:00 Uhr.",
        "Angebotsschluss ist am 15.01.2027 um 10 Uhr.",
    ],
)
def test_a_deadline_written_as_a_date_is_a_deadline(sentence: str) -> None:
    assert "frist-angegeben" not in _rules_found(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Die Bieter sind an ihre Angebote bis zum 15.03.2027 gebunden.",
        "Fragen zum Angebot bis 10.01.2027 über die Plattform.",
        "Rückfragen zu den Angeboten bis 10.01.2027.",
        "Die Aufforderung zur Angebotsabgabe wird am 05.01.2027 versandt.",
        "Die Angebotswertung erfolgt am 20.01.2027.",
        "Die Leistung ist bis 15.01.2027 zu erbringen.",
    ],
)
def test_a_date_that_is_no_deadline_for_offers_is_none(sentence: str) -> None:
    assert "frist-angegeben" in _rules_found(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Reinigungsmittel ausschließlich von Frosch.",
        "Es werden ausschließlich Reinigungsmittel von Frosch geliefert.",
        "Papier ausschließlich von Steinbeis.",
        "Toilettenpapier nur von Tork.",
        "Die Reinigungsmittel müssen ausschließlich von Frosch stammen.",
        "Reinigungsmittel sind ausschließlich vom Hersteller Frosch zu beziehen.",
        "Bodenbeläge ausschließlich aus dem Hause Tarkett.",
        "Zugelassen sind nur Frosch Reinigungsmittel.",
        "Es sind nur Produkte der Marke Tork zu liefern.",
        "Es ist ausschließlich Kopierpapier der Marke Navigator zu verwenden.",
        "Zu liefern sind Handtuchspender, Fabrikat Tork.",
    ],
)
def test_a_sole_source_is_found_in_either_word_order(sentence: str) -> None:
    assert "produktneutral" in _rules_found(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Reinigungsmittel ausschließlich von Frosch oder gleichwertig.",
        "Reinigungsmittel ausschließlich von Frosch, gleichwertige Produkte sind zugelassen.",
        "Es sind nur Produkte der Marke Tork oder gleichwertig zu liefern.",
        "Handtuchspender, Fabrikat Tork oder gleichwertig.",
        "Papier ausschließlich von Lieferanten aus der Region.",
        "Reinigungsmittel ausschließlich von Herstellern mit Umweltzeichen.",
        "Die Reinigungsmittel werden nur von Reinigungskräften ausgegeben.",
        "Geräte nur von Fachpersonal warten lassen.",
        "Software darf nur von Administratoren installiert werden.",
        "Material wird ausschließlich von Auftragnehmer gestellt.",
        "Papier nur von Hand einlegen.",
        "Lieferungen ausschließlich von Montag bis Freitag.",
        "Es werden ausschließlich Bio Reinigungsmittel verwendet.",
        "Fabrikat: ........ (vom Bieter einzutragen)",
    ],
)
def test_no_sole_source_where_there_is_none_or_equivalents_are_allowed(sentence: str) -> None:
    assert "produktneutral" not in _rules_found(sentence)


def test_a_date_in_a_rule_is_one_pattern_as_often_as_it_stands() -> None:
    """`{DATUM}` is written out without groups: a rule may name two dates."""
    import re

    pattern = re.compile(with_dates("vom {DATUM} bis {DATUM}"))
    assert pattern.search("vom 05.01.2027 bis 15. Januar 2027")
    assert not pattern.search("vom 05.01. bis 15.01.")


def test_the_testers_sentences_from_the_command_line(tmp_path: Path) -> None:
    draft = tmp_path / "ausschreibung.txt"
    draft.write_text(
        "Offenes Verfahren. Angebote bis 15.01.2027, 12:00 Uhr. Reinigungsmittel "
        "ausschließlich von Frosch.\n",
        encoding="utf-8",
    )
    result = invoke("assist", "tender", draft, "--json")
    found = {f["rule"]: f["passage"] for f in json.loads(result.stdout)}
    assert "frist-angegeben" not in found
    assert found["produktneutral"] == "Reinigungsmittel ausschließlich von Frosch."


@pytest.mark.parametrize(
    "sentence",
    [
        "Der Zuschlag erfolgt auf das wirtschaftlichste Angebot: Preis 60 %, Qualität 40 %.",
        "Gewertet werden der Preis mit 70 Punkten und die Lieferzeit mit 30 Punkten.",
        "Zuschlagskriterien sind Preis (60 %) und Qualität (40 %).",
    ],
)
def test_award_criteria_weighted_without_the_word_are_stated(sentence: str) -> None:
    """Criteria listed with the price where the award is meant, each with its weight, state
    criteria and weighting even without the word „Zuschlagskriterien“."""
    assert "zuschlagskriterien" not in _rules_found(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Berücksichtigt werden Preis, Qualität, Lieferzeit und Kundendienst.",
        "Der Zuschlag erfolgt auf das wirtschaftlichste Angebot nach Preis und Qualität.",
    ],
)
def test_award_criteria_without_weights_are_still_found(sentence: str) -> None:
    assert "zuschlagskriterien" in _rules_found(sentence)
