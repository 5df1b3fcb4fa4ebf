"""Whether a later sentence that allows equivalents lifts a product named before it.

Drafts name a product in one sentence and allow equivalents in the next: „Reinigungsmittel
ausschließlich von Frosch. Gleichwertige Produkte sind zugelassen.“ That clause lifts the
finding where it stands in the same paragraph or list item (`in_items`) and refers back to the
product (`refers_back`); one in a later paragraph, in the next list item, or about another
thing („Für die Seifenspender sind gleichwertige Produkte zugelassen.“) does not.

A paragraph ends at a passage's end (a DOCX paragraph is one), a heading, a blank line and a
line that starts a list item („- “, „1.“, „a)“). In text as a person typed or pasted it (a
text file, the page's text box: `typed`) nothing else ends one: a line break goes on with the
paragraph, whether it breaks a sentence (a paste from a PDF) or follows one (one sentence a
line, as a paste from Word often has). Where a reader made the lines, a line break after a
sentence's end ends it too, unless the line is as full as the longest of its passage: a PDF
wraps its lines there, and HTML and Markdown put each paragraph and list item on a line of its
own (a list read without its marks).
"""

from __future__ import annotations

import re
from dataclasses import replace

from gemeingut.apps.rag.passages import PATH_SEPARATOR
from gemeingut.apps.rag.readers import Passage
from gemeingut.apps.rag.sentences import Sentence, sentences

_BLANK_LINE = re.compile(r"\n[ \t\r]*\n")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*•–·▪◦]|\d+(?:\.\d+)*[.)]|[a-zA-Z][.)]|\(\w{1,3}\))[ \t]")
_WRAPPED = 0.8  # a line at least this share of its passage's longest line was wrapped there
_WRAP_WIDTH = 60  # shorter lines are no page's width: a list, a form

# What a clause allowing equivalents is about: the noun after „gleichwertige“ („gleichwertige
# Mittel“), after „andere“ („andere Fabrikate“), one it restricts itself to („für die
# Seifenspender“, „bei Los 2“) and one after an article before the equivalence („Die
# Seifenspender dürfen gleichwertig sein“).
_NOUN = r"(?-i:([A-ZÄÖÜ][\w-]*))"
_ADJECTIVES = r"(?:(?-i:[a-zäöüß]+(?:e|en|er|es|em))\s+){0,2}"
_ABOUT = [
    re.compile(rf"\b(?:gleichwertig|ander|alternativ)e[nrms]?\s+{_ADJECTIVES}{_NOUN}", re.I),
    re.compile(
        rf"\b(?:für|bei|hinsichtlich|bezüglich|betreffend)\s+(?:(?:die|den|das|dem|der|alle"
        rf"|allen|sämtliche|jede[nrms]?)\s+)?{_ADJECTIVES}{_NOUN}",
        re.I,
    ),
    re.compile(
        rf"\b(?:der|die|das|den|dem|des|ein|eine[nmrs]?|diese[nmrs]?)\s+{_ADJECTIVES}{_NOUN}"
        rf"(?=.*\bgleichwertig)",
        re.I,
    ),
]
# Nouns that stand for whatever the sentence before named, or for the proof of equivalence.
_GENERIC = {"Produkt", "Erzeugnis", "Fabrikat", "Angebot", "Alternative", "Ware", "Artikel",
            "Marke", "Hersteller", "Typ", "Modell", "Ausführung", "Lösung", "Material",
            "Gerät", "Leistung", "Lieferung", "Ersatz", "Position", "Nachweis",
            "Gleichwertigkeit", "Bieter", "Auftragnehmer", "Zusatz", "Angabe", "Anbieter",
            "Stück", "Teil", "Vorgabe", "Fall"}  # fmt: skip


def in_items(passages: list[Passage], typed: bool = False) -> tuple[list[Sentence], list[int]]:
    """The passages' sentences, and for each the number of its paragraph or list item;
    `typed`: the passages are text as a person typed it, whose line breaks part nothing (a
    text file's passages, which know their lines, are)."""
    cut: list[Sentence] = []
    items: list[int] = []
    item = 0
    section: str | None = None
    for passage in passages:
        item += 1
        text, after = passage.text, None
        # the longest line where a reader made the lines, None where a person typed them
        longest = (
            None
            if typed or passage.line is not None
            else max((len(line.strip()) for line in text.splitlines()), default=0)
        )
        for heading in _new_headings(section, passage):
            cut.append(heading)
            items.append(item)
            item += 1
        section = passage.section
        for sentence in sentences(passage, headings=True):
            start = text.find(sentence.quote, after or 0)
            if start < 0:  # not verbatim after all: keep it in the item it follows
                start = after or 0
            if after is not None and (
                sentence.passage.section != cut[-1].passage.section
                or _ends_item(text, after, start, longest)
            ):
                item += 1
            cut.append(sentence)
            items.append(item)
            after = max(start + len(sentence.quote), after or 0)
    return cut, items


def _new_headings(before: str | None, passage: Passage) -> list[Sentence]:
    """The headings a reader found above `passage` (a DOCX heading is its section, not its
    text) that the passage before it was not under yet, each as a sentence: a heading's words
    are checked too („3. Notebooks Lenovo ThinkPad“)."""
    old = before.split(PATH_SEPARATOR) if before else []
    new = passage.section.split(PATH_SEPARATOR) if passage.section else []
    same = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), None)
    kept = min(len(old), len(new)) if same is None else same
    first_line = passage.text.lstrip().split("\n", 1)[0].strip()
    return [
        Sentence(
            heading,
            " ".join(heading.split()),
            replace(passage, section=PATH_SEPARATOR.join(new[:i]) or None),
            heading=True,
        )
        for i, heading in enumerate(new)
        if i >= kept and heading != first_line.lstrip("#").strip()
    ]


def _ends_item(text: str, end: int, start: int, longest: int | None) -> bool:
    """Whether the text between a sentence's end and the next sentence's start parts them;
    `longest`: the longest line of a passage whose lines a reader made, None for typed text."""
    gap = text[end:start]
    if "\n" not in gap:
        return False
    if _BLANK_LINE.search(gap) or _LIST_ITEM.match(text, gap.rfind("\n") + end + 1):
        return True
    if longest is None:  # typed: a line break alone goes on with the paragraph
        return False
    line_start = text.rfind("\n", 0, end) + 1
    line = text[line_start:end].strip()
    return longest < _WRAP_WIDTH or len(line) < _WRAPPED * longest


def refers_back(named: str, clause: str) -> bool:
    """Whether `clause`, which allows equivalents, is about what the sentence `named` names:
    each thing it is about is a word that stands for any product or one that `named` names
    too („gleichwertige Mittel“ after „Reinigungsmittel“)."""
    nouns = [_stem(word) for word in re.findall(r"[\w-]+", named) if word[:1].isupper()]
    generic = {_stem(word) for word in _GENERIC}
    about = {_stem(m.group(1)) for pattern in _ABOUT for m in pattern.finditer(clause)}
    return all(word in generic or any(_same_head(word, noun) for noun in nouns) for word in about)


def _stem(word: str) -> str:
    """A noun without its plural or case ending, so that „Geräte“ and „Gerät“ are one."""
    stem = word.lower()
    for _n in range(3):
        if len(stem) > 4 and stem[-1] in "enrs":
            stem = stem[:-1]
    return stem


def _same_head(one: str, other: str) -> bool:
    """Whether two stemmed nouns end alike: „mittel“ is the head of „reinigungsmittel“."""
    shorter, longer = sorted((one, other), key=len)
    return len(shorter) >= 3 and longer.endswith(shorter)
