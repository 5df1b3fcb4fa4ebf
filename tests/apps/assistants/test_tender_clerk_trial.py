"""A clerk's tenders, checked as she wrote them. A PDF's numbered line that a sentence wraps
(„3. Gegenstand: Geliefert werden 120 Notebooks vom Typ Lenovo ThinkPad T14. Die“) was taken
for a heading, so its brand was never checked and the next finding's quote lost „Die“; a
heading's own words were never checked; „mit dem Framework Salesforce“ was not flagged (no
list of brands has it); an urgency with its reason in brackets was not recognised; „Angebote
bis morgen“ was also told „Keine Frist genannt“; „Ökostrom wird verlangt.“ counted as no
environmental requirement; and every finding of a text file stood under its second line
instead of its own line. The drafts are written here as the clerk wrote hers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.apps.assistants.tender import check_passages, check_tender, load_rules
from gemeingut.apps.rag.readers import Passage, read_document
from gemeingut.apps.rag.sentences import sentences
from gemeingut.errors import InputError
from gemeingut.serve.assist_routes import TenderFinding
from tests.test_cli import invoke

RULES = load_rules()
WRAPPED = "3. Gegenstand: Geliefert werden 120 Notebooks vom Typ Lenovo ThinkPad T14. Die"
PAGE = (
    "1. Auftraggeber: Gemeinde Hohenwald, Rathausplatz 1, 76543 Hohenwald.\n"
    f"{WRAPPED}\n"
    "Geräte müssen mit Microsoft Windows 11 Pro ausgeliefert werden."
)
DRAFT = """Gemeinde Hohenwald – Bauamt
Bekanntmachung: Offenes Verfahren nach VgV
Lieferung von 120 Notebooks für die Grundschulen der Gemeinde

1. Auftraggeber: Gemeinde Hohenwald, Rathausplatz 1, 76543 Hohenwald.
2. Verfahrensart: Offenes Verfahren gemäß § 15 VgV.
3. Gegenstand: Geliefert werden 120 Notebooks vom Typ Lenovo ThinkPad T14.
4. Zubehör: Als Dockingstation wird ein Modell von Dell verlangt.
5. Zuschlagskriterien: Preis und Qualität.
"""


def _found(*paragraphs: str, rule: str) -> list[str | None]:
    """The passages (None: the draft as a whole) that `rule` flags in the paragraphs."""
    findings = check_passages([Passage(p) for p in paragraphs], RULES, "de")
    return [f.passage for f in findings if f.rule == rule]


def test_a_pdf_s_numbered_line_wrapped_in_a_sentence_is_checked(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=9)
    pdf.add_page()
    pdf.multi_cell(0, 6, PAGE)  # its own line breaks, each line narrower than the page
    pdf.output(str(tmp_path / "t1_marke.pdf"))
    assert WRAPPED in read_document(tmp_path / "t1_marke.pdf")[0].text  # as the clerk's
    quotes = [
        f.passage
        for f in check_tender(tmp_path / "t1_marke.pdf", RULES)
        if f.rule == "produktneutral"
    ]
    assert [" ".join((q or "").split()) for q in quotes] == [
        "3. Gegenstand: Geliefert werden 120 Notebooks vom Typ Lenovo ThinkPad T14.",
        "Die Geräte müssen mit Microsoft Windows 11 Pro ausgeliefert werden.",
    ]


@pytest.mark.parametrize(
    "line",
    [
        WRAPPED,  # a sentence ends inside it
        "2. Die Angebote sind elektronisch einzureichen",  # a finite verb
        "4. Zubehör: Als Dockingstation verlangt wird ein Gerät mit",  # needs the next line
    ],
)
def test_a_short_numbered_line_holding_a_sentence_is_no_heading(line: str) -> None:
    found = sentences(Passage(f"Vorbemerkung.\n{line}\nGeräte mit USB-C."))
    assert all(s.passage.section is None for s in found)
    assert " ".join(s.text for s in found).endswith(f"{' '.join(line.split())} Geräte mit USB-C.")


@pytest.mark.parametrize(
    "heading",
    [
        "2. Angebotsfristen",
        "3.1 Lieferung und Montage",
        "§ 4 Zuschlag",
        "IV. Zuschlag",
        "Sonstiges",
        "Abschnitt 2. Vergabeverfahren",  # a number's full stop ends no sentence
        "Anlage 3 Los 2. Möbel",
    ],
)
def test_a_heading_stays_the_section_of_the_text_below(heading: str) -> None:
    found = sentences(Passage(f"Vorbemerkung.\n{heading}\nDie Angebote sind einzureichen."))
    assert [(s.text, s.passage.section) for s in found] == [
        ("Vorbemerkung.", None),
        ("Die Angebote sind einzureichen.", heading),
    ]


def test_a_unit_s_full_stop_ends_a_sentence_an_initial_s_does_not() -> None:
    said = "Das Schild ist 2,0 m.\nZuständig: Frau A. Weber. Nutzlast 2 t. Es gilt § 8 Abs. 2 S. 1."
    assert [s.text for s in sentences(Passage(said))] == [
        "Das Schild ist 2,0 m.",
        "Zuständig: Frau A. Weber.",
        "Nutzlast 2 t.",
        "Es gilt § 8 Abs. 2 S. 1.",
    ]


def test_a_heading_s_own_words_are_checked() -> None:
    in_the_text = "Vorbemerkung.\n3. Notebooks Lenovo ThinkPad\nZu liefern sind 120 Geräte."
    assert _found(in_the_text, rule="produktneutral") == ["3. Notebooks Lenovo ThinkPad"]
    # a document's heading (DOCX, ODT, HTML) is the passage's section, not its text
    read = Passage("Zu liefern sind 120 Geräte.", section="Leistung › Notebooks Lenovo ThinkPad")
    findings = check_passages([read], RULES, "de")
    flagged = [(f.passage, f.section) for f in findings if f.rule == "produktneutral"]
    assert flagged == [("Notebooks Lenovo ThinkPad", "Leistung")]


@pytest.mark.parametrize(
    "paragraph",
    [
        "4. Zubehör: Als Dockingstation wird ein Modell von Dell verlangt. Oder gleichwertig.",
        "Geliefert werden 120 Notebooks vom Typ Lenovo ThinkPad T14. Gleichwertige Geräte "
        "werden zugelassen.",
        "Geliefert werden 120 Notebooks vom Typ Lenovo ThinkPad T14. Es können auch "
        "gleichwertige Geräte angeboten werden.",
    ],
)
def test_or_equivalent_in_the_next_sentence_lifts_the_brand(paragraph: str) -> None:
    assert _found(paragraph, rule="produktneutral") == []


@pytest.mark.parametrize(
    "sentence",
    [
        "Das Portal ist mit dem Framework Salesforce umzusetzen.",
        "Die Lernplattform ist auf der Plattform Moodle zu betreiben.",
        "Die Software „Nextcloud“ ist einzusetzen.",
        "Zu nutzen ist das System Salesforce-Plattform.",
    ],
)
def test_a_name_no_list_knows_after_framework_or_system_is_flagged(sentence: str) -> None:
    assert _found(sentence, rule="produktneutral") == [sentence]


@pytest.mark.parametrize(
    "sentence",
    [
        "Es ist das System Heizungsanlage zu warten.",  # German words, not names
        "Die Software Fachanwendung ist zu pflegen.",
        "Das System Verwaltung ist zu erneuern.",
        "Das Produkt Ihrer Wahl ist zu liefern.",
        "Das Fahrzeug ist vom Typ Kompaktlader mit 2 t Nutzlast.",
        "Das Framework Salesforce oder gleichwertig ist zu nutzen.",
        "Das Portal ist mit dem Framework Salesforce umzusetzen. Gleichwertige Frameworks sind "
        "zugelassen.",
    ],
)
def test_a_german_word_or_an_equivalent_allowed_is_no_name(sentence: str) -> None:
    assert _found(sentence, rule="produktneutral") == []


@pytest.mark.parametrize(
    "sentence",
    [
        # a plural of animals, a period, the platform bids go in by, no product's name
        "Lebensmittel tierischen Ursprungs stammen ausschließlich von Tieren aus Bio-Haltung.",
        "Milchprodukte ausschließlich von Weidetieren aus der Region.",
        "Die Möbel sind nur von Mitte Juli bis Ende August umzustellen.",
        "Die Angebote sind elektronisch über die Plattform Subreport ELViS einzureichen.",
        "Die Vergabeunterlagen stehen auf der Plattform Vergabe24 zum Download bereit.",
        "Die Software Open Source ist zu bevorzugen, soweit wirtschaftlich.",
        "Die Anbindung an das Fachverfahren E-Akte ist sicherzustellen.",
        "Rechnungen sind über das System E-Rechnung zu stellen.",
        # a person who bears a maker's name
        "Ansprechpartnerin ist Frau Dr. Maria Bosch, Vertretung Herr Thomas Braun.",
    ],
)
def test_a_clean_tender_s_sentence_is_no_product_named(sentence: str) -> None:
    assert _found(sentence, rule="produktneutral") == []


def test_a_maker_after_von_or_a_person_is_still_flagged() -> None:
    for sentence in [
        "Ordner ausschließlich von Soennecken.",
        "Reiniger nur von Werner & Mertz.",
        "Herr Müller verlangt Geräte von Bosch.",
    ]:
        assert _found(sentence, rule="produktneutral") == [sentence]


def test_forbidden_names_without_a_name_group_is_refused(tmp_path: Path) -> None:
    own = tmp_path / "eigen.yaml"
    own.write_text(
        "rules:\n  - id: namen\n    source: eigen\n    severity: error\n    title: Name\n"
        "    advice: Ohne Namen\n    forbidden_names: ['Framework\\s+\\w+']\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"\(\?P<name>"):
        load_rules([own])


OPEN = "Offenes Verfahren nach VgV. Bekanntmachung vom 01.12.2026."


@pytest.mark.parametrize(
    "urgency",
    [
        "Wegen besonderer Dringlichkeit (Ausfall der Heizungsanlage) wird die Frist verkürzt.",
        "Aufgrund des Ausfalls der Heizungsanlage besteht Dringlichkeit.",
        "Wegen des Ausfalls der Heizungsanlage ist die Beschaffung besonders dringlich.",
    ],
)
def test_an_urgency_with_its_reason_allows_a_shortened_deadline(urgency: str) -> None:
    draft = f"{OPEN} {urgency} Angebotsfrist: 18.12.2026, 12:00 Uhr."  # 17 days
    assert _found(draft, rule="angebotsfrist") == []
    assert _found(draft, rule="angebotsfrist-verkuerzt") == []


def test_an_urgency_without_its_reason_does_not() -> None:
    draft = f"{OPEN} Wegen besonderer Dringlichkeit wird die Frist verkürzt. Angebotsfrist: "
    assert _found(draft + "18.12.2026, 12:00 Uhr.", rule="angebotsfrist") == [
        "Angebotsfrist: 18.12.2026, 12:00 Uhr."
    ]


def test_a_deadline_without_a_date_is_not_also_a_missing_deadline() -> None:
    draft = f"{OPEN} Angebote bis morgen, 12:00 Uhr."
    assert _found(draft, rule="frist-ohne-datum") == ["Angebote bis morgen, 12:00 Uhr."]
    assert _found(draft, rule="frist-angegeben") == []
    assert _found(OPEN, rule="frist-angegeben") == [None]


@pytest.mark.parametrize(
    "sentence",
    [
        "Ökostrom wird verlangt.",
        "Der Strom stammt zu 100 % aus erneuerbaren Energien.",
        "Das Papier muss zu 100 % recycelt sein.",
        "Die Veranstaltung ist klimaneutral auszurichten.",
        "Der Auftragnehmer ist nach EMAS zertifiziert.",
        "Die Energieeffizienz wird bewertet.",
        "Die Lebenszykluskosten werden bewertet.",
        "Die Geräte tragen den Blauen Engel.",
        "Der CO2-Ausstoß wird bewertet.",
        "Das Holz trägt das FSC-Siegel.",
        "Es ist Mehrweggeschirr zu verwenden.",
    ],
)
def test_an_environmental_requirement_in_other_words_counts(sentence: str) -> None:
    assert _found(f"{OPEN} {sentence}", rule="nachhaltigkeit") == []


def test_a_denied_environmental_requirement_does_not() -> None:
    denied = "Ökostrom wird nicht verlangt."
    assert _found(f"{OPEN} {denied}", rule="nachhaltigkeit") == [denied]


def test_a_text_file_s_findings_name_their_own_lines(tmp_path: Path) -> None:
    draft = tmp_path / "t1_marke.txt"
    draft.write_text(DRAFT, encoding="utf-8")
    result = invoke("assist", "tender", draft, "--json")
    lines = {f["passage"]: f["line"] for f in json.loads(result.output)}
    assert lines["3. Gegenstand: Geliefert werden 120 Notebooks vom Typ Lenovo ThinkPad T14."] == 7
    assert lines["4. Zubehör: Als Dockingstation wird ein Modell von Dell verlangt."] == 8
    assert lines["5. Zuschlagskriterien: Preis und Qualität."] == 9
    said = invoke("--lang", "de", "assist", "tender", draft).output
    assert "Zeile 8 (Bekanntmachung: Offenes Verfahren nach VgV): „4. Zubehör" in said
    # the server's answer carries the line too
    finding = next(f for f in check_tender(draft, RULES) if f.line == 9)
    assert TenderFinding.model_validate(finding, from_attributes=True).line == 9
