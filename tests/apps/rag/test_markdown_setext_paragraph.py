"""Lines above a rule of dashes that CommonMark reads as a heading (setext) are a paragraph
where they are several lines: the federal laws' forms are written so (AAppO, Anlage 5), and as
headings their words were in no chunk's text and they named every chunk after them."""

from pathlib import Path

from gemeingut.apps.rag.chunking import chunk_passages
from gemeingut.apps.rag.readers import read_document

# As the AAppO stands in the laws' corpus (shortened): a form's lines over a rule of dashes,
# then the footnote it marks and the next annex.
LAW = """# Approbationsordnung für Apotheker (AAppO)

### Anlage 5 Bescheinigung über die praktische Ausbildung

(Fundstelle des Originaltextes: BGBl. I 1989, 1500)
Herr/Frau........................... ist in der Zeit vom
bis ..................... praktisch ausgebildet worden.
----------
\\*) Nichtzutreffendes streichen.

### Anlage 6 Bescheinigung über die Teilnahme

Der/Die Studierende hat regelmäßig teilgenommen.
"""

LAW_NAME = "Approbationsordnung für Apotheker (AAppO)"
ANNEX_5 = f"{LAW_NAME} › Anlage 5 Bescheinigung über die praktische Ausbildung"


def test_a_form_above_a_rule_is_text_of_its_annex(tmp_path: Path) -> None:
    path = tmp_path / "aappo.md"
    path.write_text(LAW, encoding="utf-8")
    chunks = chunk_passages(read_document(path))
    assert [(c.section, c.text) for c in chunks] == [
        (
            ANNEX_5,
            "(Fundstelle des Originaltextes: BGBl. I 1989, 1500)\n"
            "Herr/Frau........................... ist in der Zeit vom\n"
            "bis ..................... praktisch ausgebildet worden.\n\n"
            "*) Nichtzutreffendes streichen.",
        ),
        (
            f"{LAW_NAME} › Anlage 6 Bescheinigung über die Teilnahme",
            "Der/Die Studierende hat regelmäßig teilgenommen.",
        ),
    ]


def test_one_line_above_a_rule_is_still_a_heading(tmp_path: Path) -> None:
    path = tmp_path / "liesmich.md"
    path.write_text(
        "Leitfaden Vergabe\n=================\n\nZuschlag\n--------\n\nDer Zuschlag geht an das "
        "wirtschaftlichste Angebot.\n",
        encoding="utf-8",
    )
    [chunk] = chunk_passages(read_document(path))
    assert chunk.section == "Leitfaden Vergabe › Zuschlag"
    assert chunk.text == "Der Zuschlag geht an das wirtschaftlichste Angebot."


def test_one_line_above_a_rule_under_hashed_headings_is_text(tmp_path: Path) -> None:
    path = tmp_path / "khbv.md"
    path.write_text(
        "# Krankenhaus-Buchführungsverordnung\n\n## Anlage 1 Gliederung der Bilanz\n\n"
        "................\n================\n\nPassivseite\nA. Eigenkapital\n",
        encoding="utf-8",
    )
    [chunk] = chunk_passages(read_document(path))
    assert chunk.section == "Krankenhaus-Buchführungsverordnung › Anlage 1 Gliederung der Bilanz"
    assert chunk.text == "................\n\nPassivseite\nA. Eigenkapital"


def test_setext_headings_above_hashed_deeper_ones_stay_headings(tmp_path: Path) -> None:
    """As pandoc writes Markdown with setext headings: levels 1 and 2 underlined, 3 with ###."""
    path = tmp_path / "leitfaden.md"
    path.write_text(
        "Leitfaden\n=========\n\nVergabe\n-------\n\n### Fristen\n\nDreißig Tage.\n\n"
        "Zuschlag\n--------\n\nDas wirtschaftlichste Angebot.\n",
        encoding="utf-8",
    )
    chunks = chunk_passages(read_document(path))
    assert [(c.section, c.text) for c in chunks] == [
        ("Leitfaden › Vergabe › Fristen", "Dreißig Tage."),
        ("Leitfaden › Zuschlag", "Das wirtschaftlichste Angebot."),
    ]
