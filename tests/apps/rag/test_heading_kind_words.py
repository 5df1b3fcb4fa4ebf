"""Every section of a hit is named alike, its headings in quotes after the document and page:
a clerk's hits read `dienstanweisung.docx, „Dienstanweisung … › § 4 Zuständigkeiten“` beside
`ausschreibung.docx, Abschnitt „Ausschreibung … › 2. Leistungsbeschreibung“`: the word came
only before headings without a kind's word ("§", "Anhang II"), which it would have misnamed,
so the labels read as two kinds of part. A kind's word in a heading, with or without its
number ("Titel 3", "Titel der Arbeit"), changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.apps.rag.answer import source_label
from gemeingut.apps.rag.index import ingest, open_collection
from gemeingut.apps.rag.storage import StoredChunk


def _label(section: str, language: str = "de") -> str:
    return source_label(StoredChunk("c", "d.txt", None, section, "…", (3, 3)), language)


@pytest.mark.parametrize(
    "section",
    [
        "Titel 3",
        "Anhang II",
        "Zweiter Teil Ausleihe",
        "Satzung › Unterabschnitt 1",
        "Titel der Arbeit",
        "Anhang zur Satzung",
        "Teilhabe am Arbeitsleben",
        "Einleitung",
    ],
)
def test_every_section_is_named_alike(section: str) -> None:
    assert _label(section) == f"d.txt, „{section}“, Zeile 3"
    assert _label(section, "en") == f"d.txt, „{section}“, line 3"


def test_a_docx_s_paragraph_and_numbered_sections_read_alike(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Dienstanweisung Beschaffung", 0)
    document.add_heading("§ 4 Zuständigkeiten", 1)
    document.add_paragraph("Bedarfe bis 1.000 Euro beschafft das Fachamt selbst.")
    document.add_heading("2. Leistungsbeschreibung", 1)
    document.add_paragraph("Geliefert werden Tische und Stühle für die Grundschule.")
    document.save(str(tmp_path / "anweisung.docx"))
    ingest(tmp_path / "c", "akten", [tmp_path / "anweisung.docx"])
    labels = [source_label(c) for c in open_collection(tmp_path / "c", "akten").chunks]
    assert sorted(labels) == [
        "anweisung.docx, „Dienstanweisung Beschaffung › 2. Leistungsbeschreibung“",
        "anweisung.docx, „Dienstanweisung Beschaffung › § 4 Zuständigkeiten“",
    ]
