"""A heading names its kind only with the kind's number or ordinal: "Titel 3", "Anhang II"
are parts of a law and keep no "Abschnitt" before them; "Titel der Arbeit", "Anhang zur
Satzung" are a section's own words and do."""

from __future__ import annotations

import pytest

from gemeingut.apps.rag.answer import source_label
from gemeingut.apps.rag.storage import StoredChunk


def _label(section: str, language: str = "de") -> str:
    return source_label(StoredChunk("c", "d.txt", None, section, "…", (3, 3)), language)


@pytest.mark.parametrize(
    "section",
    [
        "Titel 3",
        "Titel 2 Verfahren",
        "Anhang A",
        "Anhang II",
        "Anlage 2 Gebühren",
        "Abschnitt 12a",
        "Kapitel IV Schluss",
        "Zweiter Teil Ausleihe",
        "3. Kapitel",
        "Satzung › Unterabschnitt 1",
    ],
)
def test_a_kind_with_its_number_or_ordinal_names_itself(section: str) -> None:
    assert _label(section) == f"d.txt, „{section}“, Zeile 3"
    assert _label(section, "en") == f"d.txt, „{section}“, line 3"


@pytest.mark.parametrize(
    "section",
    [
        "Titel der Arbeit",
        "Anhang zur Satzung",
        "Anhang",
        "Teil der Lösung",
        "Kapitel Ausblick",
        "Anhang CD-Inhalt",
        "Anlage Abc",
        "Titelseite",
    ],
)
def test_a_kind_word_without_a_number_is_a_sections_own_words(section: str) -> None:
    assert _label(section) == f"d.txt, Abschnitt „{section}“, Zeile 3"
    assert _label(section, "en") == f"d.txt, section „{section}“, line 3"
