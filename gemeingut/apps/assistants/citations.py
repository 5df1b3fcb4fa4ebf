"""A rule's legal source as its reader cites it: rule files write it once, the German way
(„§ 15 Abs. 2 und 4 VgV“), and an English finding cites it as its English advice does
(„§ 15(2) and (4) VgV“), so that title and advice beneath it do not cite in two styles."""

from __future__ import annotations

import re

# A number of a paragraph, sentence or item: 2, 2a.
_NUMBER = r"\d+[a-z]?"
# The words between numbers of one list („Abs. 2, 3 und 4“, „Abs. 2 bis 4“).
_JOINERS = {",": ",", "und": " and", "bis": " to", "oder": " or"}
_JOINED = rf"\s*(,|und|bis|oder)\s*({_NUMBER})"
# „Abs. 2 und 4“ (Absatz, paragraph): the English brackets each number, „(2) and (4)“.
_PARAGRAPHS = re.compile(rf"\s*\bAbs(?:atz|\.)\s*({_NUMBER}(?:{_JOINED})*)")
# „Satz 1“ and „Nr. 3“ (sentence, item), numbers kept as they are.
_WORDS = ((re.compile(r"\bSatz\b"), "sentence"), (re.compile(r"\bNr\.\s*"), "no. "))


def cited_source(source: str, language: str) -> str:
    """`source` (German, as the rule file writes it) in `language`: unchanged in German."""
    if language == "de":
        return source
    english = _PARAGRAPHS.sub(_bracketed, source)
    for german, word in _WORDS:
        english = german.sub(word, english)
    return english


def _bracketed(paragraphs: re.Match[str]) -> str:
    """„ Abs. 2 und 4“ as „(2) and (4)“, right after the § number."""
    listed = paragraphs[1]
    first = re.match(_NUMBER, listed)
    assert first is not None  # the pattern starts with a number
    said = f"({first[0]})"
    for joiner, number in re.findall(_JOINED, listed[first.end() :]):
        said += f"{_JOINERS[joiner]} ({number})"
    return said
