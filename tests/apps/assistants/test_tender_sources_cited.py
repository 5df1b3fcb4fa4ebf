"""A finding's legal source in the reader's language: German as the rule file writes it („§ 15
Abs. 2 und 4 VgV“), English as the English advice beneath it cites („§ 15(2) and (4) VgV“),
both from the rule's one `source`; every shipped rule's sources read well in both."""

from __future__ import annotations

import re

import pytest

from gemeingut.apps.assistants.citations import cited_source
from gemeingut.apps.assistants.tender import check_passages, load_rules
from gemeingut.apps.rag.readers import Passage

DRAFT = [
    Passage("Vergabe im offenen Verfahren nach VgV."),
    Passage("Die Angebotsfrist beträgt 9 Tage."),
]
# One English citation: „§ 15(2) and (4) VgV“, „§ 20 VgV“, „§ 10aEU(1) VOB/A“; several by „; “.
_PARAGRAPHS = r"\(\d+[a-z]?\)(?:(?:, | and | to | or )\(\d+[a-z]?\))*"
_ENGLISH = re.compile(rf"§ \d+[a-zA-Z]*(?:{_PARAGRAPHS})? [A-Z][A-Za-z]*(?:/[A-Z])?")
_GERMAN_WORDS = re.compile(r"\b(Abs|Absatz|und|bis|oder|Satz|Nr)\b")


def _deadline(language: str) -> tuple[str, str]:
    found = [f for f in check_passages(DRAFT, load_rules(), language) if f.rule == "angebotsfrist"]
    assert len(found) == 1
    return found[0].source, found[0].advice


def test_an_english_finding_cites_as_its_advice_does() -> None:
    source, advice = _deadline("en")
    assert source == "§ 15(2) and (4) VgV"
    assert "§ 15(4) VgV" in advice


def test_a_german_finding_keeps_the_german_citation() -> None:
    source, advice = _deadline("de")
    assert source == "§ 15 Abs. 2 und 4 VgV"
    assert "§ 15 Abs. 4" in advice


def _sources() -> list[tuple[str, str]]:
    return [
        (rule.id, source)
        for rule in load_rules()
        for source in [rule.source, *(other.source for other in rule.source_if)]
    ]


@pytest.mark.parametrize(("rule", "source"), _sources())
def test_every_shipped_source_reads_well_in_both_languages(rule: str, source: str) -> None:
    assert cited_source(source, "de") == source
    english = cited_source(source, "en")
    assert not _GERMAN_WORDS.search(english), (rule, english)
    for citation in english.split("; "):
        assert _ENGLISH.fullmatch(citation), (rule, citation)


@pytest.mark.parametrize(
    ("german", "english"),
    [
        ("§ 127 Abs. 5 GWB; § 58 Abs. 3 VgV", "§ 127(5) GWB; § 58(3) VgV"),
        ("§ 3 Abs. 2, 3 und 5a VgV", "§ 3(2), (3) and (5a) VgV"),
        ("§ 31 Abs. 6 Satz 1 Nr. 3 VgV", "§ 31(6) sentence 1 no. 3 VgV"),
        ("§ 20 VgV", "§ 20 VgV"),
    ],
)
def test_citations_of_own_rules_read_in_english_too(german: str, english: str) -> None:
    assert cited_source(german, "en") == english
