"""Lines above a rule of dashes that CommonMark reads as a heading (setext) are a paragraph
where they are several lines, or where the document wrote its headings with "#" before: the
federal laws' forms are written so (AAppO, Anlage 5), and as headings their words were in no
chunk's text and they named every chunk after them. A document of setext headings keeps them."""

from pathlib import Path

import pytest

from tests.apps.rag.documents import chunked

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
KHBV = "Krankenhaus-Buchführungsverordnung › Anlage 1 Gliederung der Bilanz"

CASES = [
    pytest.param(
        LAW,
        [
            (
                f"{LAW_NAME} › Anlage 5 Bescheinigung über die praktische Ausbildung",
                "(Fundstelle des Originaltextes: BGBl. I 1989, 1500)\n"
                "Herr/Frau........................... ist in der Zeit vom\n"
                "bis ..................... praktisch ausgebildet worden.\n\n"
                "*) Nichtzutreffendes streichen.",
            ),
            (
                f"{LAW_NAME} › Anlage 6 Bescheinigung über die Teilnahme",
                "Der/Die Studierende hat regelmäßig teilgenommen.",
            ),
        ],
        id="form-lines-text-of-annex",
    ),
    pytest.param(
        "Leitfaden Vergabe\n=================\n\nZuschlag\n--------\n\n"
        "Der Zuschlag geht an das wirtschaftlichste Angebot.\n",
        [("Leitfaden Vergabe › Zuschlag", "Der Zuschlag geht an das wirtschaftlichste Angebot.")],
        id="one-line-heading",
    ),
    pytest.param(
        "# Krankenhaus-Buchführungsverordnung\n\n## Anlage 1 Gliederung der Bilanz\n\n"
        "................\n================\n\nPassivseite\nA. Eigenkapital\n",
        [(KHBV, "................\n\nPassivseite\nA. Eigenkapital")],
        id="one-line-under-hashed-text",
    ),
    pytest.param(  # as pandoc writes Markdown: levels 1 and 2 underlined, 3 with ###
        "Leitfaden\n=========\n\nVergabe\n-------\n\n### Fristen\n\nDreißig Tage.\n\n"
        "Zuschlag\n--------\n\nDas wirtschaftlichste Angebot.\n",
        [
            ("Leitfaden › Vergabe › Fristen", "Dreißig Tage."),
            ("Leitfaden › Zuschlag", "Das wirtschaftlichste Angebot."),
        ],
        id="pandoc-setext-headings",
    ),
]


@pytest.mark.parametrize(("markdown", "expected"), CASES)
def test_lines_above_a_rule(markdown: str, expected: list, tmp_path: Path) -> None:
    path = tmp_path / "gesetz.md"
    path.write_text(markdown, encoding="utf-8")
    assert chunked(path) == expected
