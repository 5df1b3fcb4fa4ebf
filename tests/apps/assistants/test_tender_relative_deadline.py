"""A deadline for tenders "bis morgen" names no date: the tender check warns with its legal
source instead of counting it as a stated deadline; a dated deadline and a "morgen" that is no
deadline for tenders are left alone."""

from __future__ import annotations

import pytest

from gemeingut.apps.assistants.tender import check_passages, load_rules
from gemeingut.apps.rag.readers import Passage


def relative(text: str) -> list[tuple[str, str]]:
    findings = check_passages([Passage(text)], load_rules(), "de")
    return [(f.source, f.passage) for f in findings if f.rule == "frist-ohne-datum"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Angebote sind bis morgen einzureichen.",
        "Die Angebote müssen spätestens nächste Woche vorliegen: bis nächsten Freitag.",
        "Das Angebot ist bis übermorgen, 12 Uhr, abzugeben.",
        "Morgen sind die Angebote bei der Vergabestelle einzureichen.",
        # the deadline by its name, as a tender's form states it
        "Angebotsfrist: bis morgen, 12 Uhr.",
        "Die Angebotsfrist läuft bis übermorgen.",
        "Die Abgabefrist endet am nächsten Freitag.",
        "Einreichungsfrist: kommende Woche.",
    ],
)
def test_a_deadline_without_a_date_is_a_warning_with_its_source(sentence: str) -> None:
    assert relative(sentence) == [("§ 20 VgV", sentence)]


@pytest.mark.parametrize(
    "sentence",
    [
        "Angebote sind bis zum 12.01.2027, 12:00 Uhr, einzureichen.",
        "Fragen zur Leistung beantwortet die Vergabestelle bis morgen.",
        "Die Angebotsfrist beträgt 35 Tage.",
        "Angebotsfrist: bis zum 12.01.2027, 12:00 Uhr.",
        "Fragen zur Angebotsfrist beantwortet die Vergabestelle bis morgen.",
    ],
)
def test_a_dated_deadline_or_another_tomorrow_is_no_finding(sentence: str) -> None:
    assert relative(sentence) == []
