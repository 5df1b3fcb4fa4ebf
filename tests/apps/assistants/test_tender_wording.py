"""The shipped rules read a tender as its authors write it: product names as well as makers,
deadlines said without the word "Angebotsfrist", denials such as "ist kein Kriterium", the
Blaue Engel in any case; and a finding quotes the draft word for word, a heading line apart
from the sentence below it."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.apps.assistants.tender import Finding, check_passages, check_tender, load_rules
from gemeingut.apps.rag.readers import Passage
from tests.test_cli import invoke

# A new user's draft (abridged), as a text file: numbered headings above their sentences.
DRAFT = """Leistungsbeschreibung: Beschaffung von Arbeitsplatzrechnern für das Bürgeramt

1. Gegenstand
Die Stadt Großenhain beschafft 120 Notebooks des Typs Lenovo ThinkPad T14 sowie 20 Monitore.
Die Dockingstationen müssen vom Hersteller Dell stammen oder gleichwertig sein.
Als Betriebssystem wird Windows 11 Pro vorausgesetzt; Office-Paket: MS Office 2021.

2. Verfahren und Fristen
Die Angebotsfrist beträgt 35 Tage ab Veröffentlichung der Bekanntmachung.
Angebote sind bis zum Ablauf von zehn Kalendertagen elektronisch einzureichen.
Die Frist zur Abgabe endet am 15.03.2025, 10:00 Uhr.

4. Sonstiges
Die Barrierefreiheit der Geräte ist für dieses Vorhaben nicht von Bedeutung.
Energieeffizienz ist kein Kriterium.
"""


def _found(*paragraphs: str) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    for finding in check_passages([Passage(p) for p in paragraphs], load_rules(), "de"):
        found.setdefault(finding.rule, []).append(finding)
    return found


@pytest.mark.parametrize(
    "sentence",
    [
        "Als Betriebssystem wird Windows 11 Pro vorausgesetzt.",
        "Office-Paket: MS Office 2021.",
        "Die Arbeitsplätze erhalten Microsoft 365 E3.",
        "Lizenzen für Office 365 sind zu liefern.",
        "Die Daten werden als Excel-Tabelle geliefert.",
        "Vorlagen sind in Word zu pflegen.",
        "Die Anbindung an SAP S/4HANA ist sicherzustellen.",
        "Geliefert werden 30 Apple iPad Air.",
        "Die Lehrkräfte erhalten ein MacBook Air.",
        "Die Geräte haben einen Prozessor der Klasse Core i5.",
        "Die Server laufen mit Oracle Database 19c.",
        "Geliefert werden 40 Notebooks Dell Latitude 5440.",
        "Gefordert ist ein Gerät der Serie Latitude 7440.",
    ],
)
def test_product_names_are_not_neutral(sentence: str) -> None:
    assert [f.passage for f in _found(sentence)["produktneutral"]] == [sentence]


@pytest.mark.parametrize(
    "sentence",
    [
        "Die Fenster der Sporthalle werden erneuert.",
        "Ein Office-Paket mit Textverarbeitung und Tabellenkalkulation ist zu liefern.",
        "Das Homeoffice wird mit zwei Monitoren ausgestattet.",
        "Die Teams der Verwaltung arbeiten mobil.",
        "Das Wort „exzellent“ ist kein Kriterium.",
        "Als Betriebssystem wird Windows 11 Pro oder gleichwertig vorausgesetzt.",
        "Drucker wie HP o. glw. werden geliefert.",  # „o. glw.“ ends no sentence
        "Die Koordinaten sind als Latitude und Longitude im WGS84 anzugeben.",
        "Die Schnittstelle liefert Daten im Format Excel-kompatibel (CSV).",
        "Berichte sind im Word-Format oder als PDF zu liefern.",
    ],
)
def test_words_that_are_no_product_names_are_not_flagged(sentence: str) -> None:
    assert "produktneutral" not in _found(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Es sind ausschließlich Reinigungsmittel der Marke Henkel zu verwenden.",
        "Die Spülmittel sind vom Fabrikat Frosch.",
        "Verwendet werden Produkte des Herstellers Müller GmbH.",
        "Hersteller: Müller GmbH, Typ XY-200.",
        "Marke: „Frosch“.",
        "Geliefert wird eine Pumpe Typ XY-200 der Firma Müller GmbH.",
        "Geliefert wird eine Pumpe Typ XY-200 der Fa. Müller GmbH.",
        "Klebebänder der Marke 3M sind zu liefern.",
        "Es ist Reinigungsmittel der Marke Henkel zu verwenden; gleichwertige Mittel sind nicht "
        "zugelassen.",
        "Reinigungsmittel der Marke Henkel, keine gleichwertigen Mittel.",
    ],
)
def test_a_named_maker_brand_or_firm_is_not_neutral(sentence: str) -> None:
    found = _found(sentence)["produktneutral"]
    assert [f.passage for f in found] == [sentence.split("; ")[0] + ";" * (";" in sentence)]


@pytest.mark.parametrize(
    "sentence",
    [
        "Das Markenrecht der Bieter bleibt unberührt.",
        "Die Stellplätze sind farbig markiert.",
        "Herstellerangaben beachten.",
        "Die Herstellerangaben sind zu beachten.",
        "Die Geräte sind nach den Angaben des Herstellers zu warten.",
        "Die Garantie des Herstellers beträgt mindestens zwei Jahre.",
        "Hersteller Angaben beachten.",
        "Fabrikat: ………… (vom Bieter einzutragen)",
        "Hersteller: beliebig.",
        "Die Marke von 500 Teilnehmenden wurde überschritten.",
        "Der Name der Firma, ihre Anschrift und ihr Sitz sind anzugeben.",
        "Reinigungsmittel der Marke Henkel oder gleichwertige sind zu verwenden.",
        "Verwendet werden Produkte des Herstellers Müller GmbH, gleichwertige Produkte sind "
        "zugelassen.",
        "Geliefert wird eine Pumpe der Firma Müller GmbH, die Gleichwertigkeit anderer "
        "Pumpen weist der Bieter nach.",
        "Drucker von HP, gleichwertige Geräte sind zugelassen.",
        "Eine Pumpe von Bosch, ein gleichwertiges Produkt ist zulässig.",
    ],
)
def test_words_near_makers_and_brands_that_name_none_are_not_flagged(sentence: str) -> None:
    assert "produktneutral" not in _found(sentence)


@pytest.mark.parametrize(
    ("sentence", "short"),
    [
        ("Angebote sind bis zum Ablauf von zehn Kalendertagen elektronisch einzureichen.", True),
        ("Angebote sind innerhalb von 14 Tagen nach Veröffentlichung abzugeben.", True),
        ("Die Abgabefrist beträgt 20 Tage.", True),
        ("Die Frist für die Einreichung der Angebote beträgt drei Wochen.", True),
        ("Die Einreichung der Angebote ist binnen 12 Tagen möglich.", True),
        ("Angebote sind innerhalb von 40 Tagen nach Veröffentlichung einzureichen.", False),
        ("Angebote bleiben 60 Tage gültig.", False),  # a binding period, no deadline
        ("Die Frist für Rückfragen beträgt 6 Tage.", False),
    ],
)
def test_a_deadline_is_checked_however_it_is_phrased(sentence: str, short: bool) -> None:
    found = _found(sentence)
    assert ("angebotsfrist" in found) is short
    assert not short or found["angebotsfrist"][0].passage == sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "Der Eingang der Angebote wird innerhalb von 2 Werktagen bestätigt.",
        "Angebote sind unter Angabe der Lieferzeit (höchstens 14 Tage) elektronisch einzureichen.",
        "Die Abgabe der Angebote ist auch in Losen möglich, die jeweils 4 Wochen Bauzeit umfassen.",
        "Die Angebotsfrist endet am 30. April, Fragen sind bis 10 Tage vorher zu stellen.",
        "Die Angebotsfrist endet am 30. April und Fragen sind bis 10 Tage vorher zu stellen.",
        "Angebote sind elektronisch einzureichen, Rückfragen werden binnen 3 Tagen beantwortet.",
    ],
)
def test_a_number_near_offers_that_is_no_deadline_is_not_checked(sentence: str) -> None:
    assert "angebotsfrist" not in _found(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Die Frist für den Eingang der Angebote endet 14 Tage nach Versand der Unterlagen.",
        "Angebote sind bis spätestens 20 Tage nach Bekanntmachung einzureichen.",
        "Die Angebotsfrist von 25 Tagen beginnt mit der Absendung der Bekanntmachung.",
        "Abgabefrist: 3 Wochen.",
    ],
)
def test_a_deadline_said_with_its_length_is_checked(sentence: str) -> None:
    assert [f.passage for f in _found(sentence)["angebotsfrist"]] == [sentence]


def test_a_sentence_saying_until_when_offers_are_due_states_a_deadline() -> None:
    said = "Angebote sind bis zum 15.03.2025, 10:00 Uhr über die Vergabeplattform einzureichen."
    assert "frist-angegeben" not in _found(said)
    assert "frist-angegeben" in _found("Angebote sind elektronisch einzureichen.")


@pytest.mark.parametrize(
    "denial",
    [
        "Energieeffizienz ist kein Kriterium.",
        "Energieeffizienz ist kein Zuschlagskriterium.",
        "Nachhaltigkeit wird nicht berücksichtigt.",
        "Umweltaspekte sind nicht zu berücksichtigen.",
        "Der Energieverbrauch der Geräte spielt keine Rolle.",
        "Umweltzeichen sind nicht Gegenstand der Wertung.",
        "Auf Umweltaspekte wird kein Wert gelegt.",
        "Die Energieeffizienz bleibt außer Betracht.",
    ],
)
def test_a_denied_sustainability_clause_does_not_count(denial: str) -> None:
    sentence = f"Energieeffizienz: {denial}" if "Energieeffizien" not in denial else denial
    assert _found(sentence)["nachhaltigkeit"][0].passage == sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "Reinigungsmittel mit dem Blauen Engel sind zu verwenden.",
        "Das Papier trägt den Blauen Engel.",
        "Die Geräte sind Blauer-Engel-zertifiziert.",
        "Verlangt wird die Blaue Engel Kennzeichnung.",
    ],
)
def test_the_blue_angel_counts_in_every_case(sentence: str) -> None:
    assert "nachhaltigkeit" not in _found(sentence)


def test_a_text_drafts_findings_quote_it_verbatim_under_their_heading(tmp_path: Path) -> None:
    draft = tmp_path / "tender.txt"
    draft.write_text(DRAFT, encoding="utf-8")
    findings = check_tender(draft, load_rules())
    assert all(f.passage is None or f.passage in DRAFT for f in findings)
    by_rule = {f.rule: f for f in reversed(findings)}  # each rule's first
    brand = by_rule["produktneutral"]
    assert brand.passage == (
        "Die Stadt Großenhain beschafft 120 Notebooks des Typs Lenovo ThinkPad T14 sowie 20 "
        "Monitore."
    )
    assert brand.section == "1. Gegenstand"
    assert [f.passage for f in findings if f.rule == "produktneutral"][1:] == [
        "Als Betriebssystem wird Windows 11 Pro vorausgesetzt;",
        "Office-Paket: MS Office 2021.",
    ]
    assert (by_rule["angebotsfrist"].section, by_rule["angebotsfrist"].passage) == (
        "2. Verfahren und Fristen",
        "Angebote sind bis zum Ablauf von zehn Kalendertagen elektronisch einzureichen.",
    )
    assert by_rule["barrierefreiheit"].passage.startswith("Die Barrierefreiheit der Geräte")
    assert by_rule["nachhaltigkeit"].passage == "Energieeffizienz ist kein Kriterium."
    shown = invoke("assist", "tender", draft).output
    line = DRAFT[: DRAFT.index("Die Stadt Großenhain")].count("\n") + 1  # and its line
    assert f"Zeile {line} (1. Gegenstand): „Die Stadt Großenhain beschafft" in shown, shown


def test_ordinals_and_abbreviations_end_no_sentence() -> None:
    paragraph = (
        "Die Frist für den Eingang der Angebote endet am 2. Mai 2025 um 12:00 Uhr. Die "
        "Angebotsfrist beträgt gem. § 15 Abs. 2 VgV zehn Tage, z. B. für Eilfälle."
    )
    found = _found(paragraph)
    assert found["angebotsfrist"][0].passage == (
        "Die Angebotsfrist beträgt gem. § 15 Abs. 2 VgV zehn Tage, z. B. für Eilfälle."
    )
    assert "frist-angegeben" not in found
