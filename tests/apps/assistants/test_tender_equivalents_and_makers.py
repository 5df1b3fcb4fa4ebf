"""A named product and the sentence after it: „Reinigungsmittel ausschließlich von Frosch.
Gleichwertige Produkte sind zugelassen.“ was flagged (the check read one sentence at a time),
and a maker ending in -en after „von“ („Ordner ausschließlich von Soennecken“) was taken for
people and not flagged. A clause allowing equivalents lifts the finding in the same paragraph
or list item when it refers back to the product, not in a later paragraph, the next item, or
about another thing; a name after „von“ is a maker unless the text says it is people (a form
of address, a plural of persons or places, what a person does with the goods). The passages
are written for this test as procurement offices write them."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest

from gemeingut.apps.assistants.tender import check_passages, load_rules
from gemeingut.apps.rag.readers import Passage
from gemeingut.errors import InputError
from tests.test_cli import invoke

RULES = load_rules()


def _named(*paragraphs: str) -> list[str]:
    """The sentences the product rule flags in the given passages."""
    found = check_passages([Passage(p) for p in paragraphs], RULES, "de")
    return [f.passage for f in found if f.rule == "produktneutral" and f.passage]


@pytest.mark.parametrize(
    "paragraph",
    [
        "Reinigungsmittel ausschließlich von Frosch. Gleichwertige Produkte sind zugelassen.",
        "Für die Unterhaltsreinigung sind Reinigungsmittel ausschließlich von Frosch zu "
        "verwenden. Gleichwertige Angebote werden akzeptiert.",
        "Reinigungsmittel ausschließlich von Frosch. Gleichwertige Mittel sind zugelassen, "
        "wenn sie das EU-Ecolabel tragen.",
        "Drucker der Marke Canon. Gleichwertige Geräte sind zugelassen.",
        "Einzusetzen ist ausschließlich Papier von Tork; gleichwertige Erzeugnisse sind zulässig.",
        "Papier ausschließlich von Tork. Die Gleichwertigkeit weist der Bieter mit "
        "Datenblättern nach.",
        "Papier ausschließlich von Tork. Andere Fabrikate sind zulässig.",
        "Ordner ausschließlich von Soennecken. Für die Ordner sind gleichwertige Fabrikate "
        "zugelassen.",
        "Handtuchpapier ausschließlich von Tork. Seife ausschließlich von Frosch. Gleichwertige "
        "Produkte sind bei allen Positionen zugelassen.",
        # a PDF's line wrapped after the sentence: the same paragraph
        "Die Reinigungsmittel sind ausschließlich von Frosch zu beziehen, und zwar in Gebinden\n"
        "von zehn Litern aus recyclingfähigem Kunststoff mit Dosierhilfe, frei Haus geliefert.\n"
        "Gleichwertige Produkte sind zugelassen.",
    ],
)
def test_equivalents_allowed_after_the_product_lift_it(paragraph: str) -> None:
    assert _named(paragraph) == []


@pytest.mark.parametrize(
    ("paragraphs", "flagged"),
    [
        # denied, not allowed
        (["Reinigungsmittel ausschließlich von Frosch. Gleichwertige Produkte sind nicht "
          "zugelassen."], "Reinigungsmittel ausschließlich von Frosch."),
        (["Papier ausschließlich von Tork. Andere Fabrikate sind nicht zulässig."],
         "Papier ausschließlich von Tork."),
        # about another thing
        (["Reinigungsmittel ausschließlich von Frosch. Für die Seifenspender sind gleichwertige "
          "Produkte zugelassen."], "Reinigungsmittel ausschließlich von Frosch."),
        (["Papier ausschließlich von Tork. Bei Los 2 sind gleichwertige Produkte zugelassen."],
         "Papier ausschließlich von Tork."),
        (["Papier ausschließlich von Tork. Die Seifenspender dürfen gleichwertig sein."],
         "Papier ausschließlich von Tork."),
        # its own product with its own „oder gleichwertig“
        (["Reinigungsmittel ausschließlich von Frosch. Die Seifenspender sind von Tork oder "
          "gleichwertig."], "Reinigungsmittel ausschließlich von Frosch."),
        # an unrelated later paragraph, a later passage (a DOCX paragraph), the next list item
        (["Reinigungsmittel ausschließlich von Frosch.\n\nDie Angebotsfrist beträgt 35 Tage. "
          "Gleichwertige Produkte sind zugelassen."],
         "Reinigungsmittel ausschließlich von Frosch."),
        (["Reinigungsmittel ausschließlich von Frosch.", "Gleichwertige Produkte sind "
          "zugelassen."], "Reinigungsmittel ausschließlich von Frosch."),
        (["Zu liefern sind:\n- Handtuchpapier ausschließlich von Tork.\n- Gleichwertige "
          "Produkte sind zugelassen."],
         "Zu liefern sind:\n- Handtuchpapier ausschließlich von Tork."),
        (["1. Ordner ausschließlich von Soennecken.\n2. Gleichwertige Produkte sind "
          "zugelassen."], "1. Ordner ausschließlich von Soennecken."),
        # lines a reader made (a Markdown list read without its marks; typed text joins them)
        (["Ordner ausschließlich von Soennecken.\nGleichwertige Produkte sind zugelassen."],
         "Ordner ausschließlich von Soennecken."),
        # a clause before the product refers back to nothing
        (["Gleichwertige Produkte sind zugelassen. Papier ausschließlich von Tork."],
         "Papier ausschließlich von Tork."),
    ],
)  # fmt: skip
def test_equivalents_elsewhere_or_for_other_things_leave_it(
    paragraphs: list[str], flagged: str
) -> None:
    assert _named(*paragraphs) == [flagged]


def test_a_markdown_draft_lifts_only_in_its_paragraph(tmp_path: Path) -> None:
    draft = tmp_path / "leistungsbeschreibung.md"
    draft.write_text(
        "# Leistungsbeschreibung Gebäudereinigung\n\n"
        "## Reinigungsmittel\n\n"
        "Reinigungsmittel ausschließlich von Frosch. Gleichwertige Produkte sind zugelassen.\n\n"
        "## Hygienepapier\n\n"
        "Einzusetzen ist ausschließlich Handtuchpapier von Tork.\n\n"
        "Die Angebotsfrist beträgt 35 Tage. Gleichwertige Angebote werden akzeptiert.\n",
        encoding="utf-8",
    )
    result = invoke("assist", "tender", draft, "--json")
    found = [f for f in json.loads(result.stdout) if f["rule"] == "produktneutral"]
    assert [(f["passage"], f["section"]) for f in found] == [
        (
            "Einzusetzen ist ausschließlich Handtuchpapier von Tork.",
            "Leistungsbeschreibung Gebäudereinigung › Hygienepapier",
        )
    ]


def test_a_docx_paragraph_is_its_own_paragraph(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Leistungsbeschreibung Büromaterial", 1)
    document.add_paragraph("Ordner ausschließlich von Soennecken. Gleichwertige sind zulässig.")
    document.add_paragraph("Toner ausschließlich vom Hersteller Kyocera.")
    document.add_paragraph("Gleichwertige Produkte sind zugelassen.")
    path = tmp_path / "entwurf.docx"
    document.save(str(path))
    result = invoke("assist", "tender", path, "--json")
    found = [f["passage"] for f in json.loads(result.stdout) if f["rule"] == "produktneutral"]
    assert found == ["Toner ausschließlich vom Hersteller Kyocera."]


@pytest.mark.parametrize(
    "sentence",
    [
        "Ordner ausschließlich von Soennecken.",
        "Es sind ausschließlich Ordner von Soennecken zu liefern.",
        "Büromaterial ausschließlich von Soennecken.",
        "Reinigungsmittel nur von Werner & Mertz.",
        "Hygienepapier nur von Müller GmbH.",
        "Hygienepapier nur von Müllern GmbH.",  # a firm's legal form, whatever its ending
        "Reinigungsmittel ausschließlich von „Frosch“.",
        "Reinigungsmittel ausschließlich von Fa. Frosch.",
        "Bürostühle ausschließlich von der Firma Wilkhahn.",
        "Die Reinigungsmittel sind ausschließlich von Frosch zu beziehen.",
    ],
)
def test_a_maker_after_von_is_named_whatever_its_ending(sentence: str) -> None:
    assert _named(sentence) == [sentence]


@pytest.mark.parametrize(
    "sentence",
    [
        "Angebote sind von Herrn Becker zu prüfen.",
        "Die Leistungsbeschreibung wurde erstellt von Müllern.",
        "Mehl ausschließlich von Müllern aus der Region.",
        "Das Verbrauchsmaterial wird ausschließlich von Herrn Becker ausgegeben.",
        "Toner wird nur von Frau Dr. Yilmaz bestellt.",
        "Das Material wird nur von Becker ausgegeben.",
        "Die Drucker werden nur von Administratoren eingerichtet.",
        "Arzneimittel ausschließlich von Apotheken.",
        "Lebensmittel nur von Erzeugern aus der Region.",
        "Schutzausrüstung wird nur von Beschäftigten getragen, Material nur von Kunden bestellt.",
        "Reinigungsmittel ausschließlich von Fachfirmen mit Zertifizierung.",
        "Material ausschließlich von Sachverständigen prüfen lassen.",
        "Fahrzeuge nur von Norden anliefern.",
        "Kaffee nur von Fairtrade-Kooperativen.",
        "Büromaterial nur von KMU aus der Region.",
    ],
)
def test_people_places_and_times_after_von_are_no_maker(sentence: str) -> None:
    assert _named(sentence) == []


def test_unless_after_is_for_a_rule_with_forbidden(tmp_path: Path) -> None:
    own = tmp_path / "eigen.yaml"
    own.write_text(
        'rules:\n  - id: tariftreue\n    source: "§ 1 TVgG NRW"\n    severity: error\n'
        "    title: Tariftreue fehlt\n    advice: Eine Tariftreueerklärung fordern.\n"
        '    required: [["Tariftreue"]]\n    unless_after: ["nicht"]\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as raised:
        load_rules([own])
    assert "unless_after gilt nur für eine Regel mit forbidden" in str(raised.value.message)


def test_an_offices_rule_lifts_by_a_later_sentence_too(tmp_path: Path) -> None:
    own = tmp_path / "eigen.yaml"
    own.write_text(
        'rules:\n  - id: vertragsstrafe\n    source: "§ 9a VOB/A"\n    severity: warning\n'
        "    title: Vertragsstrafe ohne Obergrenze\n    advice: Höchstens 5 % festlegen.\n"
        '    forbidden: ["Vertragsstrafe"]\n    unless_after: ["höchstens\\\\s+5"]\n',
        encoding="utf-8",
    )
    rules = load_rules([own])
    capped = "Eine Vertragsstrafe wird vereinbart. Sie beträgt höchstens 5 Prozent."
    elsewhere = "Eine Vertragsstrafe wird vereinbart.\n\nDer Abzug beträgt höchstens 5 Prozent."
    found = [
        [f.passage for f in check_passages([Passage(p)], rules, "de") if f.rule == "vertragsstrafe"]
        for p in (capped, elsewhere)
    ]
    assert found == [[], ["Eine Vertragsstrafe wird vereinbart."]]
