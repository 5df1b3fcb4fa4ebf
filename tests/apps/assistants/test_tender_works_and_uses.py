"""A clerk's second trial. A deadline for building works („Offenes Verfahren nach § 3EU VOB/A“)
was told to be too short by § 15 VgV, where § 10aEU VOB/A sets it; a brand after „von“ and a
verb of use („Markierungsmaterial von 3M zu verwenden“, „sind von Rational zu liefern“) or a
maker and product after „ist“ („ist Swarco Limboplast zu verwenden“) was missed; equipment
taken back and a brand that new equipment need not be were flagged; and the CLI showed a PDF's
finding with its page only, its quote broken where the PDF's line was."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.apps.assistants.tender import check_passages, load_rules
from gemeingut.apps.rag.readers import Passage
from gemeingut.errors import InputError
from gemeingut.i18n import text
from tests.test_cli import invoke

RULES = load_rules()


def _deadline(procedure: str, *more: str) -> list[tuple[str, str, str]]:
    """(rule, source, advice) of each deadline finding of a draft with 11 days to tender."""
    draft = [
        procedure,
        "Die Auftragsbekanntmachung wird am 01.03.2027 versandt.",
        "Angebotsfrist: 12.03.2027, 11:00 Uhr.",
        *more,
    ]
    findings = check_passages([Passage(p) for p in draft], RULES, "de")
    return [(f.rule, f.source, f.advice) for f in findings if "frist" in f.rule]


def test_a_deadline_for_building_works_is_checked_by_the_vob_a() -> None:
    ((rule, source, advice),) = _deadline("Offenes Verfahren nach § 3EU VOB/A.")
    assert (rule, source) == ("angebotsfrist", "§ 10aEU Abs. 1 und 4 VOB/A")
    assert "35 Kalendertage" in advice and "VgV" not in advice
    # building works named without the VOB/A: the same law
    ((_, source, _),) = _deadline("Offenes Verfahren.", "Gegenstand sind Bauleistungen.")
    assert source == "§ 10aEU Abs. 1 und 4 VOB/A"
    # supplies and services: the VgV, as before
    ((_, source, advice),) = _deadline("Offenes Verfahren nach § 15 VgV.")
    assert source == "§ 15 Abs. 2 und 4 VgV" and "§ 15 Abs. 4" in advice
    # a denial is no building works
    ((_, source, _),) = _deadline(
        "Offenes Verfahren nach § 15 VgV; die VOB/A ist nicht anzuwenden."
    )
    assert source == "§ 15 Abs. 2 und 4 VgV"


@pytest.mark.parametrize(
    ("procedure", "rule", "source"),
    [
        ("Nicht offenes Verfahren nach § 3bEU VOB/A.", "angebotsfrist-nichtoffen",
         "§ 10bEU Abs. 2 und 4 VOB/A; § 10cEU Abs. 1 VOB/A"),
        ("Beschränkte Ausschreibung nach § 3 VOB/A.", "angebotsfrist-unterschwelle",
         "§ 10 Abs. 1 VOB/A"),
    ],
)  # fmt: skip
def test_the_other_deadlines_for_building_works_name_the_vob_a_too(
    procedure: str, rule: str, source: str
) -> None:
    draft = [procedure, "Die Angebotsfrist beträgt 5 Tage."]
    findings = check_passages([Passage(p) for p in draft], RULES, "de")
    assert [(f.rule, f.source) for f in findings if "frist" in f.rule] == [(rule, source)]


def test_an_office_s_rule_says_its_source_per_kind_of_works(tmp_path: Path) -> None:
    own = tmp_path / "eigene.yaml"
    own.write_text(
        "rules:\n  - id: bauzeit\n    source: § 9 VgV\n    severity: warning\n"
        "    title: Bauzeit fehlt\n    advice: Bauzeit nennen.\n"
        "    required: [[Bauzeit]]\n"
        "    source_if:\n      - when: [VOB/A]\n        source: § 9 VOB/A\n",
        encoding="utf-8",
    )
    rules = load_rules([own])
    found = check_passages([Passage("Vergabe nach VOB/A.")], rules, "de")
    assert [(f.rule, f.source, f.advice) for f in found if f.rule == "bauzeit"] == [
        ("bauzeit", "§ 9 VOB/A", "Bauzeit nennen.")  # the rule's advice, where none is given
    ]
    own.write_text(own.read_text(encoding="utf-8").replace("- when:", "- wehn:"), encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_rules([own])
    said = text(error.value.args[0])  # the key meant is one of source_if's, not a rule's
    assert "source_if.0.wehn" in said and said.endswith("when?")


@pytest.mark.parametrize(
    "said",
    [
        "Für die Fahrbahnmarkierung ist Markierungsmaterial von 3M zu verwenden.",
        "Es sind Reinigungsmittel von Ecolab zu verwenden.",
        "Die Kombidämpfer sind von Rational zu liefern.",
        "Für die Fahrbahnmarkierung ist Swarco Limboplast zu verwenden.",
        "Es sind Seifenspender von Tork einzusetzen.",
    ],
)
def test_a_name_after_von_or_ist_with_a_verb_of_use_is_flagged(said: str) -> None:
    findings = check_passages([Passage(said)], RULES, "de")
    assert [f.passage for f in findings if f.rule == "produktneutral"] == [said]
    allowed = f"{said} Gleichwertige Produkte sind zugelassen."
    assert not [
        f for f in check_passages([Passage(allowed)], RULES, "de") if f.rule == "produktneutral"
    ]


@pytest.mark.parametrize(
    "said",
    [
        "Es sind Notebooks zu liefern.",  # a product, not a maker, though no law's word
        "Für die Bordsteine ist Granit zu verwenden.",
        "Die Reinigung ist von Montag bis Freitag zu erbringen.",
        "Es sind Reinigungsmittel von Herstellern mit Umweltzeichen zu verwenden.",
        "Die Unterlagen sind von Bietern einzureichen.",
        "Es ist eine Anzahl von Tablets zu beschaffen.",
        "Die Geräte sind vom Auftragnehmer zu liefern.",
        "Es sind Ersatzteile von mindestens 7 Jahren vorzusehen.",
        "Es ist Leichte Sprache zu verwenden.",
        "Für die Tragschicht ist Asphalttragschicht AC 32 T S zu verwenden.",
        # equipment there now, taken back: nothing to buy
        "Die bisher eingesetzten Geräte von Lenovo werden vom Auftragnehmer zurückgenommen und "
        "zertifiziert gelöscht.",
        "Die Altgeräte der Marke HP werden vom Auftragnehmer abgeholt.",
        # a brand in use today that new equipment need not be
        "Die Schulküche nutzt heute Geräte der Marke Rational. Neue Geräte müssen nicht von "
        "diesem Hersteller sein.",
    ],
)
def test_what_is_no_brand_to_buy_is_not_flagged(said: str) -> None:
    findings = check_passages([Passage(said)], RULES, "de")
    assert [f.passage for f in findings if f.rule == "produktneutral"] == []


@pytest.mark.parametrize(
    ("said", "flagged"),
    [
        # a new brand with the old equipment's removal stays a finding
        ("Die alten Drucker werden durch Geräte der Marke Canon ersetzt und entsorgt.",
         "Die alten Drucker werden durch Geräte der Marke Canon ersetzt und entsorgt."),
        # the brand is not lifted by what the maker need not do
        ("Die Schulküche nutzt Geräte der Marke Rational. Neue Geräte müssen nicht vom "
         "Hersteller gewartet werden.", "Die Schulküche nutzt Geräte der Marke Rational."),
    ],
)  # fmt: skip
def test_a_brand_beside_old_equipment_or_another_denial_stays_flagged(
    said: str, flagged: str
) -> None:
    findings = check_passages([Passage(said)], RULES, "de")
    assert [f.passage for f in findings if f.rule == "produktneutral"] == [flagged]


def test_the_cli_shows_a_pdf_finding_s_page_and_section_on_one_line(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    for heading, body in [
        (
            "1. Verfahren",
            "Offenes Verfahren nach VgV. Die Angebote sind elektronisch einzureichen.",
        ),
        (
            "3. Zuschlagskriterien",
            "Der Zuschlag wird nach folgenden Kriterien erteilt: Preis, Qualitaet des "
            "Reinigungskonzepts, Erfahrung des eingesetzten Personals und Referenzen.",
        ),
    ]:
        pdf.set_font("helvetica", "B", 14)
        pdf.multi_cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=11)
        pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")  # wraps: two lines
    pdf.output(str(tmp_path / "reinigung.pdf"))
    result = invoke("assist", "tender", tmp_path / "reinigung.pdf")
    quote = (
        "„Der Zuschlag wird nach folgenden Kriterien erteilt: Preis, Qualitaet des "
        "Reinigungskonzepts, Erfahrung des eingesetzten Personals und Referenzen.“"
    )
    assert f"    S. 1 (3. Zuschlagskriterien): {quote}" in result.stdout.splitlines()
