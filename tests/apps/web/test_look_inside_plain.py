"""The look inside teaches pupils and clerks how the model works, so its explanations are
checked for plain language: short sentences, and every technical term explained in plain
words where it first appears. Before, "Temperatur und Top-p verändern, wie es unter den
wahrscheinlichsten wählt" named temperature and top-p and explained neither, and "Die
Logit-Linse: der Zustand jeder Schicht so gelesen, als endete das Modell dort" explained a term
by two others. (The German readability formulas, Wiener Sachtextformel and Amstad's Flesch,
rated those old texts as easy, 6.7 and 61 by textstat 0.7.13: they count syllables and words,
not unexplained terms, so they are not used here.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gemeingut.apps.web.texts import page_texts

TEMPLATE = Path(__file__).parents[3] / "gemeingut/apps/web/templates/index.html"
# The view's explanations as a reader meets them, each by the place the page shows it: the
# template's own text, or the element the script fills with it.
READING_ORDER = {
    "tokens_intro": "t.tokens_intro }}",
    "tokens_space": "t.tokens_space }}",
    "tokens_signs": "t.tokens_signs }}",
    "tokens_bytes": "t.tokens_bytes }}",
    "temperature_help": "t.temperature_help }}",
    "top_p_help": "t.top_p_help }}",
    "next_exact": 'id="next-note"',
    "next_merged": 'id="next-note"',
    "next_bounds": 'id="next-note"',
    "lens_help": "t.lens_help }}",
    "trace_help": 'id="trace-help"',
    "trace_help_one": 'id="trace-help"',
}
AVERAGE_WORDS = 12  # per sentence, at most; the old texts had 16, the longest 27 words
LONGEST_WORDS = 20
# The terms a learner meets, as each language writes them (a pattern).
TERMS = {
    "de": [
        "Tokens?",
        "Wahrscheinlichkeit",
        "Bytes?",
        "hexadezimal",
        "Temperatur",
        "Top-p",
        "Schicht(?:en)?",
        "Logit-Linse",
        "Trainingsdaten",
        "Lizenz",
    ],
    "en": [
        "tokens?",
        "probability",
        "bytes?",
        "hexadecimal",
        "temperature",
        "top-p",
        "layers?",
        "logit lens",
        "training data",
        "licence",
    ],
}
# A sentence that explains a term: the term, then what it is ("Die Temperatur bestimmt, …",
# "hexadezimal, das heißt …"), or a name given to what was just said ("Diese Zahlen heißen
# Bytes", "Fachleute nennen diesen Blick „Logit-Linse“").
DEFINES = {
    "de": (r"{term},?\s+(?:das heißt|ist|sind|heißt|heißen|bedeutet|steht für|bestimmt)\b",
           r"\b(?:heißt|heißen|nennen|nennt man)\s+(?:\S+\s+){{0,3}}„?{term}\b"),
    "en": (r"{term},?\s+(?:that is|is|are|means|stands for|sets|decides)\b",
           r"\b(?:called|call)\s+(?:\S+\s+){{0,3}}“?{term}\b"),
}  # fmt: skip


def explanations(language: str) -> list[tuple[str, str]]:
    texts = page_texts(language)
    return [(key, texts[key]) for key in READING_ORDER]


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def words(sentence: str) -> list[str]:
    return re.findall(r"[\w{}]+(?:-\w+)*", sentence)


def test_the_reading_order_is_the_pages() -> None:
    """The order the checks below read the texts in is the order the page shows them."""
    page = TEMPLATE.read_text(encoding="utf-8")
    places = [page.index(place) for place in READING_ORDER.values()]
    assert places == sorted(places)


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_sentences_are_short(language: str) -> None:
    said = [s for _key, text in explanations(language) for s in sentences(text)]
    lengths = [len(words(s)) for s in said]
    assert sum(lengths) / len(lengths) <= AVERAGE_WORDS, sum(lengths) / len(lengths)
    assert [s for s in said if len(words(s)) > LONGEST_WORDS] == []


@pytest.mark.parametrize("language", ["de", "en"])
def test_each_term_is_explained_where_it_first_appears(language: str) -> None:
    unexplained = []
    for term in TERMS[language]:
        first = next(
            (text for _key, text in explanations(language) if re.search(term, text, re.I)), ""
        )
        patterns = [pattern.format(term=term) for pattern in DEFINES[language]]
        if not any(re.search(pattern, first, re.I) for pattern in patterns):
            unexplained.append((term, first))
    assert unexplained == []
