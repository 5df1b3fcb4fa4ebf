"""The tender check knows which procedure a draft is for and reads it as a tester's realistic
drafts are written: the VgV's deadline is not applied below the EU thresholds, price alone needs
no weighting, a street named after a maker is no brand, and a deadline given as two dates or a
sole source that is on no brand list is found, each with the rule's §."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from gemeingut.apps.assistants.dates import german_dates
from gemeingut.apps.assistants.tender import Finding, check_passages, check_tender, load_rules
from gemeingut.apps.rag.readers import Passage
from gemeingut.errors import InputError

# The tester's drafts (/tmp/probes/p12), word for word.
FP1 = """# Lieferung
Die Angebotsfrist beträgt 35 Tage. Lieferadresse: Rathaus, Siemens-Allee 3, 91052 Erlangen. Bitte geben Sie Hersteller Typ und Modellbezeichnung an. Zuschlagskriterien: Preis 70 Prozent, Qualität 30 Prozent. Die Geräte erfüllen die EN 301 549. Die Geräte tragen den Blauen Engel oder ein gleichwertiges Umweltzeichen.
"""  # noqa: E501
FP2 = """# Lieferung
Verfahrensart: Beschränkte Ausschreibung nach § 11 UVgO. Die Angebotsfrist beträgt 10 Tage. Der Zuschlag erfolgt allein nach dem niedrigsten Preis. Die Geräte erfüllen die EN 301 549. Die Geräte tragen den Blauen Engel oder ein gleichwertiges Umweltzeichen.
"""  # noqa: E501
VARIANT = """# Ausschreibung Reinigungsdienstleistungen

## Leistung
Zu verwenden sind Reinigungsmittel der Marke Frosch oder gleichwertig. Die Scheuersaugmaschine ist ein Kärcher B 40 oder ein gleichwertiges Gerät.
Die Reinigungskräfte werden in der Bedienung des Schließsystems eingewiesen.
Einzusetzen ist ausschließlich Papier von Tork; gleichwertige Produkte sind nicht zugelassen.

## Fristen
Angebote sind bis zum 12.01.2027 einzureichen. Die Bekanntmachung wird am 05.01.2027 versandt.
Die Frist für den Eingang der Angebote beträgt zehn Kalendertage.

## Wertung
Die Zuschlagskriterien sind Preis und Qualität, sie werden gleich gewichtet.
Alle Angebote müssen barrierefrei lesbar sein.
"""  # noqa: E501
PAPER = """# A
Die Angebotsfrist beträgt 35 Tage. Zuschlagskriterien: Preis 70 Prozent, Qualität 30 Prozent. Die Geräte erfüllen die EN 301 549. Die Geräte tragen den Blauen Engel oder ein gleichwertiges Umweltzeichen. Als Druckerpapier ist ausschließlich Steinbeis Recyclingpapier zu liefern.
"""  # noqa: E501
# Clauses every draft below needs, so that only the rule under test speaks.
SOUND = (
    "Zuschlagskriterien: Preis 60 Prozent, Qualität 40 Prozent. Die Geräte erfüllen die EN 301 "
    "549 und tragen den Blauen Engel oder ein gleichwertiges Umweltzeichen."
)


def _draft(tmp_path: Path, content: str, name: str = "entwurf.md") -> list[Finding]:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return check_tender(path, load_rules())


def _found(*paragraphs: str, language: str = "de") -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    passages = [Passage(p) for p in (*paragraphs, SOUND)]
    for finding in check_passages(passages, load_rules(), language):
        found.setdefault(finding.rule, []).append(finding)
    return found


@pytest.mark.parametrize("content", [FP1, FP2], ids=["address-and-fields", "uvgo-price-alone"])
def test_the_testers_sound_drafts_have_no_findings(tmp_path: Path, content: str) -> None:
    assert _draft(tmp_path, content) == []


def test_the_testers_variant_has_its_violations_found_with_their_paragraph(
    tmp_path: Path,
) -> None:
    findings = _draft(tmp_path, VARIANT)
    got = [(f.rule, f.source, f.passage) for f in findings if f.severity == "error"]
    neutral = "§ 31 Abs. 6 VgV"
    assert got == [
        ("produktneutral", neutral, "Einzusetzen ist ausschließlich Papier von Tork;"),
        ("gleichwertig-ausgeschlossen", neutral, "gleichwertige Produkte sind nicht zugelassen."),
        ("angebotsfrist", "§ 15 Abs. 2 und 4 VgV",
         "Die Frist für den Eingang der Angebote beträgt zehn Kalendertage."),
        ("angebotsfrist", "§ 15 Abs. 2 und 4 VgV",
         "Angebote sind bis zum 12.01.2027 einzureichen."),
    ]  # fmt: skip
    dated = next(f for f in findings if f.passage and "12.01.2027" in f.passage)
    assert dated.title == (
        "Angebotsfrist im offenen Verfahren zu kurz: 7 Tage vom 05.01.2027 bis zum 12.01.2027"
    )
    assert dated.section == "Ausschreibung Reinigungsdienstleistungen › Fristen"


def test_a_brand_on_no_list_as_the_only_source_is_found(tmp_path: Path) -> None:
    findings = _draft(tmp_path, PAPER)
    assert [(f.rule, f.passage) for f in findings] == [
        ("produktneutral", "Als Druckerpapier ist ausschließlich Steinbeis Recyclingpapier zu "
         "liefern."),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "procedure",
    [
        "Verfahrensart: Beschränkte Ausschreibung nach § 11 UVgO.",
        "Die Leistung wird im Wege der Verhandlungsvergabe vergeben.",
        "Verfahren: Freihändige Vergabe nach VOL/A.",
        "Verfahrensart: Öffentliche Ausschreibung.",
        "Der Auftragswert liegt unterhalb der EU-Schwellenwerte.",
        "Es gilt die Unterschwellenvergabeordnung.",
    ],
)
def test_below_the_eu_thresholds_the_vgv_deadline_does_not_apply(procedure: str) -> None:
    found = _found(procedure, "Die Angebotsfrist beträgt 10 Tage.")
    assert not {"angebotsfrist", "angebotsfrist-nichtoffen", "angebotsfrist-unterschwelle"} & set(
        found
    )
    hint = _found(procedure, "Die Angebotsfrist beträgt 7 Tage.")["angebotsfrist-unterschwelle"]
    assert [(f.severity, f.source, f.passage) for f in hint] == [
        ("hint", "§ 13 UVgO", "Die Angebotsfrist beträgt 7 Tage.")
    ]
    assert "angemessene Frist" in hint[0].advice


@pytest.mark.parametrize(
    "draft",
    [
        "Die Stadt vergibt im offenen Verfahren; die UVgO ist nicht anzuwenden.",
        "Öffentliche Ausschreibung von Notebooks im offenen Verfahren nach VgV.",
        "Die Stadt beschafft 120 Notebooks.",  # no procedure named: the open one
    ],
)
def test_an_eu_open_procedure_keeps_its_deadline(draft: str) -> None:
    found = _found(draft, "Die Angebotsfrist beträgt 10 Tage.")
    assert [f.source for f in found["angebotsfrist"]] == ["§ 15 Abs. 2 und 4 VgV"]
    assert "angebotsfrist-unterschwelle" not in found


@pytest.mark.parametrize(
    ("procedure", "days", "rule"),
    [
        ("Vergabe im nicht offenen Verfahren nach § 16 VgV.", 20, "angebotsfrist-nichtoffen"),
        ("Vergabe im nicht offenen Verfahren nach § 16 VgV.", 30, None),
        # 30 days, 25 with electronic submission (§ 16 Abs. 8, § 17 Abs. 9 VgV), as the open
        # procedure's 35 are 30 (§ 15 Abs. 4 VgV)
        ("Vergabe im nicht offenen Verfahren nach § 16 VgV.", 25, None),
        ("Verhandlungsverfahren mit Teilnahmewettbewerb.", 24, "angebotsfrist-nichtoffen"),
        ("Verhandlungsverfahren ohne Teilnahmewettbewerb.", 10, None),  # no fixed minimum
        ("Vergabe im offenen Verfahren.", 25, "angebotsfrist"),
    ],
)
def test_each_eu_procedure_has_its_minimum_period(procedure: str, days: int, rule: str) -> None:
    found = _found(procedure, f"Die Angebotsfrist beträgt {days} Tage.")
    deadlines = {r for r in found if r.startswith("angebotsfrist")}
    assert deadlines == ({rule} if rule else set())
    if rule == "angebotsfrist-nichtoffen":
        assert found[rule][0].source == "§ 16 Abs. 5 und 8 VgV; § 17 Abs. 6 und 9 VgV"


@pytest.mark.parametrize(
    "price",
    [
        "Der Zuschlag erfolgt allein nach dem niedrigsten Preis.",
        "Einziges Zuschlagskriterium ist der Preis.",
        "Der Preis ist das einzige Zuschlagskriterium.",
        "Der Zuschlag wird auf das Angebot mit dem niedrigsten Preis erteilt.",
        "Zuschlagskriterium ist ausschließlich der Preis.",
    ],
)
def test_price_as_the_only_criterion_needs_no_weighting(price: str) -> None:
    found = check_passages([Passage(price)], load_rules(), "de")
    assert "zuschlagskriterien" not in {f.rule for f in found}


@pytest.mark.parametrize(
    "criteria",
    [
        "Zuschlagskriterien sind Preis und Qualität. Bei Gleichstand entscheidet allein der "
        "niedrigste Preis.",
        "Der Zuschlag erfolgt nicht allein nach dem Preis.",
        "Bei gleicher Punktzahl wird der Zuschlag auf das Angebot mit dem niedrigsten Preis "
        "erteilt.",
    ],
)
def test_price_as_a_tie_breaker_still_asks_for_the_weighting(criteria: str) -> None:
    found = check_passages([Passage(criteria)], load_rules(), "de")
    assert "zuschlagskriterien" in {f.rule for f in found}


@pytest.mark.parametrize(
    "sentence",
    [
        "Lieferadresse: Rathaus, Siemens-Allee 3, 91052 Erlangen.",
        "Lieferadresse: Rathaus, Siemens-Allee, Erlangen.",
        "Geliefert wird an die Robert-Bosch-Straße 12 in Hamburg.",
        "Die Schulung findet in der Miele-Str. 4 statt.",
        "Bitte geben Sie Hersteller Typ und Modellbezeichnung an.",
        "Anzugeben sind Hersteller Modell und Seriennummer.",
        "Die Reinigung erfolgt ausschließlich von Montag bis Freitag.",
        "Es sind nur Reinigungsmittel von Herstellern mit Umweltzeichen zu verwenden.",
        "Einzusetzen ist ausschließlich Papier von Tork oder gleichwertig.",
        "Zu liefern ist ausschließlich Recyclingpapier mit dem Blauen Engel.",
    ],
)
def test_addresses_and_fields_for_the_bidder_name_no_product(sentence: str) -> None:
    assert "produktneutral" not in _found(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Geliefert wird an die Robert-Bosch-Straße 12; die Bohrmaschinen sind von Bosch.",
        "Einzusetzen ist ausschließlich Papier von Tork.",
        "Es sind nur Reinigungsmittel vom Hersteller Werner & Mertz zu verwenden.",
        "Nur Produkte des Herstellers Müller sind zugelassen.",
        "Als Druckerpapier ist ausschließlich Steinbeis Recyclingpapier zu liefern.",
    ],
)
def test_a_sole_source_is_not_neutral_without_a_listed_brand(sentence: str) -> None:
    found = _found(sentence)["produktneutral"]
    assert [f.passage for f in found] == [sentence.split("; ")[-1]]
    assert found[0].source.startswith("§ 31 Abs. 6 VgV")


@pytest.mark.parametrize(
    ("sentence", "excluded"),
    [
        ("Gleichwertige Produkte sind nicht zugelassen.", True),
        ("Gleichwertige Mittel werden nicht akzeptiert.", True),
        ("Es werden keine gleichwertigen Produkte gewertet.", True),
        ("Gleichwertige Produkte sind zugelassen.", False),
        ("Gleichwertige Produkte sind nicht ausgeschlossen.", False),
        ("Nicht gleichwertige Produkte werden nicht gewertet.", False),
    ],
)
def test_excluding_equivalents_is_found(sentence: str, excluded: bool) -> None:
    found = _found(sentence).get("gleichwertig-ausgeschlossen", [])
    assert [f.passage for f in found] == ([sentence] if excluded else [])


@pytest.mark.parametrize(
    ("paragraphs", "title"),
    [
        (["Angebote sind bis zum 12.01.2027 einzureichen.",
          "Die Bekanntmachung wird am 05.01.2027 versandt."], "7 Tage vom 05.01.2027 bis zum "
         "12.01.2027"),
        (["Die Angebotsfrist beginnt am 5. Januar 2027 und endet am 12. Januar 2027."],
         "7 Tage vom 5. Januar 2027 bis zum 12. Januar 2027"),
        (["Die Bekanntmachung wird am 05.01.2027 veröffentlicht, Angebote sind bis zum "
          "26.01.2027 einzureichen."], "21 Tage vom 05.01.2027 bis zum 26.01.2027"),
        (["Die Angebotsfrist endet am 06.01.2027 (Absendung der Bekanntmachung: 05.01.2027)."],
         "1 Tag vom 05.01.2027 bis zum 06.01.2027"),
    ],
)  # fmt: skip
def test_a_deadline_given_as_dates_is_counted(paragraphs: list[str], title: str) -> None:
    found = _found(*paragraphs)["angebotsfrist"]
    assert [f.title for f in found] == [f"Angebotsfrist im offenen Verfahren zu kurz: {title}"]
    assert found[0].source == "§ 15 Abs. 2 und 4 VgV"
    assert "einzureichen" in found[0].passage or "endet" in found[0].passage


@pytest.mark.parametrize(
    "paragraphs",
    [
        # long enough
        ["Die Bekanntmachung wird am 05.01.2027 versandt.",
         "Angebote sind bis zum 12. Februar 2027 einzureichen."],
        # questions and the binding period are no deadline for tenders
        ["Die Bekanntmachung wird am 05.01.2027 versandt.",
         "Fragen sind bis zum 08.01.2027 zu stellen.",
         "Die Bieter sind an ihre Angebote bis zum 15.01.2027 gebunden.",
         "Angebote sind bis zum 12.02.2027 einzureichen."],
        # counted from the notice, not from a later day
        ["Die Leistung beginnt am 10.01.2027.",
         "Die Vergabeunterlagen werden am 20.01.2027 versandt.",
         "Die Bekanntmachung wird am 05.01.2027 veröffentlicht.",
         "Angebote sind bis zum 12.02.2027 einzureichen."],
        # no notice date: nothing to count from
        ["Angebote sind bis zum 12.01.2027 einzureichen."],
    ],
)  # fmt: skip
def test_dates_that_make_no_short_deadline_are_not_found(paragraphs: list[str]) -> None:
    assert "angebotsfrist" not in _found(*paragraphs)


def test_a_deadline_given_as_dates_below_the_thresholds_is_only_a_hint() -> None:
    found = _found(
        "Verfahrensart: Beschränkte Ausschreibung nach § 11 UVgO.",
        "Angebote sind bis zum 12.01.2027 einzureichen. Die Bekanntmachung wird am 05.01.2027 "
        "versandt.",
        language="en",
    )
    assert set(found) == {"angebotsfrist-unterschwelle"}
    assert found["angebotsfrist-unterschwelle"][0].title == (
        "Very short tender deadline (check that it is reasonable): 7 days from January 5, 2027 "
        "to January 12, 2027"
    )


def test_a_compliant_draft_has_no_findings(tmp_path: Path) -> None:
    draft = """# Lieferung von Notebooks

## Verfahren und Fristen
Die Stadt beschafft 120 Notebooks im offenen Verfahren nach VgV. Die Bekanntmachung wird am 05.01.2027 versandt. Angebote sind bis zum 15.02.2027, 10:00 Uhr elektronisch einzureichen. Lieferadresse: Rathaus, Siemens-Allee 3, 91052 Erlangen.

## Leistung
Die Notebooks haben 16 GB Arbeitsspeicher. Bitte geben Sie Hersteller Typ und Modellbezeichnung an. Die Geräte erfüllen die EN 301 549 und tragen den Blauen Engel oder ein gleichwertiges Umweltzeichen.

## Zuschlag
Der Zuschlag erfolgt allein nach dem niedrigsten Preis.
"""  # noqa: E501
    assert _draft(tmp_path, draft) == []


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("bis zum 12.01.2027", datetime.date(2027, 1, 12)),
        ("am 5. Januar 2027", datetime.date(2027, 1, 5)),
        ("am 1. Sept. 2027", datetime.date(2027, 9, 1)),
        ("am 3. März 2027", datetime.date(2027, 3, 3)),
        ("am 05.01.27", datetime.date(2027, 1, 5)),
        ("am 2027-01-12", datetime.date(2027, 1, 12)),
        ("nach Ziffer 3.1.12", None),  # a number of a section
        ("am 31.02.2027", None),  # no such day
        ("bis zum 12.01.", None),  # no year
    ],
)
def test_german_dates_are_read(written: str, day: datetime.date | None) -> None:
    assert [d.day for d in german_dates(written)] == ([day] if day else [])


OWN = """rules:
  - id: tariftreue
    source: "§ 2 TVgG"
    severity: error
    title: Tariftreue fehlt
    advice: Tariftreueerklärung fordern.
    required: [["Tariftreue"]]
    only_if: ["Reinigung"]
    skip_if: ["Lieferung"]
  - id: frist-daten
    source: "§ 13 UVgO"
    severity: warning
    title: Frist kurz
    advice: Frist verlängern.
    at_least:
      pattern: "Frist von (?P<n>\\\\d+) Tagen"
      minimum: 14
      dates: {start: ["versandt"], end: ["einzureichen"]}
    ignore: ["Rückfragen[^.]*"]
"""


def test_an_own_rule_may_say_for_which_drafts_it_is(tmp_path: Path) -> None:
    own = tmp_path / "eigen.yaml"
    own.write_text(OWN, encoding="utf-8")
    rules = [r for r in load_rules([own]) if r.id in ("tariftreue", "frist-daten")]

    def rules_found(*paragraphs: str) -> list[str]:
        return [f.rule for f in check_passages([Passage(p) for p in paragraphs], rules, "de")]

    assert rules_found("Reinigung der Schulen.") == ["tariftreue"]
    assert rules_found("Reinigung und Lieferung von Papier.") == []
    assert rules_found("Bau einer Halle.") == []
    dated = ["Die Unterlagen werden am 01.03.2027 versandt.", "Reinigung, Tariftreue."]
    assert rules_found(*dated, "Angebote sind am 10.03.2027 einzureichen.") == ["frist-daten"]
    assert rules_found(*dated, "Rückfragen am 10.03.2027 sind einzureichen.") == []  # ignored


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('dates: {start: ["versandt"], end: ["einzureichen"]}', 'dates: {start: ["versandt"]}'),
         r"eigen.yaml: Zeile 18, Regel 2 \(frist-daten\), Feld at_least.dates.end: ist "
         r"erforderlich"),
        (('end: ["einzureichen"]', "end: []"),
         r"Zeile 18, Regel 2 \(frist-daten\), Feld at_least.dates.end: muss mindestens 1 "
         r"Eintrag"),
        (("dates: {start:", "dates: {strat:"),
         r"Feld at_least.dates.strat: ist keine bekannte Einstellung; meinten Sie start\?"),
        (('only_if: ["Reinigung"]', 'only_if: ["Reinigung("]'),
         r"Zeile 8, Regel 1 \(tariftreue\), Feld only_if.0: das Muster „Reinigung\(“ ist kein "
         r"regulärer Ausdruck"),
        (('skip_if: ["Lieferung"]', "skip_if: Lieferung"),
         r"Zeile 9, Regel 1 \(tariftreue\), Feld skip_if: muss eine Liste sein"),
        (('ignore: ["Rückfragen[^.]*"]', 'ignroe: ["x"]'),
         r"Zeile 19, Regel 2 \(frist-daten\), Feld ignroe: ist keine bekannte Einstellung; "
         r"meinten Sie ignore\?"),
    ],
)  # fmt: skip
def test_a_wrong_new_field_names_its_file_line_and_field(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    own = tmp_path / "eigen.yaml"
    assert change[0] in OWN
    own.write_text(OWN.replace(*change), encoding="utf-8")
    with pytest.raises(InputError, match=expected):
        load_rules([own])
