"""A text cut into its sentences (a tender draft for its findings, a source for its excerpt):
has it (a person searches the draft for it), and under the heading it stands below.

A sentence ends at . ! ? ; before a space, or at a blank line. One line break does not end it
(a PDF wraps its lines), except around a heading line: "1. Gegenstand" above "Die Stadt
beschafft …" is the section the sentence belongs to, not its first words. A numbered line that
holds a sentence is no heading, however short: one with a sentence's end inside it ("3.
Gegenstand: Geliefert werden … T14. Die" wrapped by a PDF), a finite verb ("ist", "werden",
"muss") or a last word that needs the next line ("die", "mit"); a number's full stop ends
none in it ("Abschnitt 2. Vergabeverfahren"). A full stop after an ordinal ("am 2. Mai", "1.
Gegenstand"), after an abbreviation ("z. B.", "o. glw.", "Fa.") or an initial ("A. Weber") or
before a word in lower case ends nothing; one after a unit does ("Breite 2,0 m. Die").
Headings are a sentence of their own where asked for (`headings=True`): the tender check reads
a heading's words too ("3. Notebooks Lenovo").

A "sentence" of more than MAX_SENTENCE_CHARS (a table, a list without full stops, or text made
to slow the check down) is no prose: it is cut into pieces of at most that length, at a space
where there is one, so that no rule's pattern (an office's own included) runs on more at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from gemeingut.apps.rag.passages import Passage

_END = re.compile(r"[.!?;](?=\s|$)")
_BLANK = re.compile(r"\n[ \t\r]*\n")
_LINE = re.compile(r"^.*$", re.MULTILINE)
_WORD_BEFORE = re.compile(r"(?:^|(?<=\s|\())(\S+)$")
# A numbered heading: "1.", "2.1", "3)", "IV.", "A)", "§ 4"; after it a heading needs no more.
_NUMBERED = re.compile(r"^(?:\d+(?:\.\d+)*\.?|\d+\)|[IVX]+\.|[A-Z]\)|§\s*\d+\w*)\s+\S")
# A piece of a short line that ends in a number's full stop ("2.", "IV."): a heading's number.
_HEADING_NUMBER = re.compile(r"(?:^|\s)(?:\d+(?:\.\d+)*|[IVXLC]+)\.\s*$")
# Words that make a line a sentence, not a heading: finite verbs that drafts and rules use, and
# words after which a sentence goes on (a line ending in one was wrapped).
_FINITE = {"ist", "sind", "wird", "werden", "wurde", "wurden", "hat", "haben", "muss", "müssen",
           "kann", "können", "soll", "sollen", "darf", "dürfen", "gilt", "gelten", "erfolgt",
           "erfolgen", "beträgt", "betragen", "endet", "enden", "erhält", "liegt", "liegen",
           "gibt", "bleibt", "bleiben"}  # fmt: skip
_GOES_ON = {"der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer",
            "und", "oder", "sowie", "mit", "von", "vom", "zu", "zur", "zum", "für", "auf", "an",
            "in", "im", "bei", "nach", "aus", "über", "unter", "durch", "gegen", "ohne", "als",
            "wie", "dass", "ob", "wenn", "weil"}  # fmt: skip
_HEADING_WORDS = 6  # an unnumbered heading ("Sonstiges", "Verfahren und Fristen") is short
_HEADING_CHARS = 80
_ABBREVIATIONS = {"abs", "nr", "art", "ca", "bzw", "ggf", "gem", "vgl", "inkl", "zzgl",
                  "evtl", "max", "min", "bspw", "ziff", "glw", "str", "tel", "dr", "prof",
                  "mio", "mrd", "anl", "lfd", "bzgl", "sog", "u.a", "z.b", "d.h",
                  "fa"}  # fmt: skip
_MONTHS = re.compile(
    r"\s+(?:Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November"
    r"|Dezember)\b"
)
# A month's short name before its year ("15. Jan. 2027", "3. Sept. 2026") ends no sentence.
_MONTHS_SHORT = {"jan", "jän", "feb", "mär", "mrz", "apr", "jun", "jul", "aug", "sep", "sept",
                 "okt", "nov", "dez"}  # fmt: skip
# Words after which a number with a full stop is an ordinal: "am 2. Mai", "im 3. Quartal".
_BEFORE_ORDINALS = {"am", "zum", "vom", "bis", "ab", "seit", "im", "der", "die", "das", "dem",
                    "den", "des", "ein", "eine", "einem", "einen", "einer"}  # fmt: skip
_LOOK_BACK = 40  # characters before a full stop that decide whether it ends the sentence
MAX_SENTENCE_CHARS = 2000  # long German legal sentences stay below 1,000


@dataclass(frozen=True)
class Sentence:
    quote: str  # verbatim, as the draft has it
    text: str  # its words with single spaces between them, for the rules' patterns
    passage: Passage  # its page, and the heading above it as the section
    part: int | None = None  # 1, 2, … for the pieces of a sentence too long to be one
    line: int | None = None  # the file's line it starts on, where the passage has lines (text)
    heading: bool = False  # a heading line, as a sentence where `headings=True`


def sentences(passage: Passage, headings: bool = False) -> list[Sentence]:
    """The passage's sentences in order; heading lines are the section of the sentences
    below them, and, with `headings`, a sentence too (under the section above them)."""
    found: list[Sentence] = []
    text, lines = passage.text, _Lines(passage)
    for start, end, section, heading in _blocks(passage):
        under = replace(passage, section=section)
        if heading:
            if headings:
                quote = text[start:end].strip()
                found.append(Sentence(quote, " ".join(quote.split()), under, None,
                                      lines.at(start), heading=True))  # fmt: skip
            continue
        at = start
        for quote in _split(text, start, end):
            pieces = _cut(quote)
            for number, piece in enumerate(pieces, 1):
                part = number if len(pieces) > 1 else None
                at = max(text.find(piece, at, end), at)
                found.append(Sentence(piece, " ".join(piece.split()), under, part, lines.at(at)))
                at += len(piece)
    return found


class _Lines:
    """The file's line of a passage's characters, asked for in ascending order (a text
    file's passage knows its first line; others have none)."""

    def __init__(self, passage: Passage) -> None:
        self.text, self.line, self.counted = passage.text, passage.line, 0

    def at(self, at: int) -> int | None:
        if self.line is None:
            return None
        self.line += self.text.count("\n", self.counted, at)
        self.counted = at
        return self.line


def _cut(quote: str) -> list[str]:
    """`quote` in verbatim pieces of at most MAX_SENTENCE_CHARS, each cut at the last white
    space in its second half (or at the limit, inside a word that long)."""
    pieces, start = [], 0
    while len(quote) - start > MAX_SENTENCE_CHARS:
        limit = start + MAX_SENTENCE_CHARS
        space = max(quote.rfind(c, limit - MAX_SENTENCE_CHARS // 2, limit) for c in " \t\r\n")
        stop = space if space > start else limit
        pieces.append(quote[start:stop].strip())
        start = stop
    pieces.append(quote[start:].strip())
    return [piece for piece in pieces if piece]


Block = tuple[int, int, str | None, bool]  # start, end, section, whether a heading line


def _blocks(passage: Passage) -> list[Block]:
    """(start, end, section, False) of the runs of text between headings and blank lines,
    and (start, end, the section above it, True) of each heading line, in order."""
    text = passage.text
    lines = [(m.start(), m.end(), m.group().strip()) for m in _LINE.finditer(text)]
    blocks: list[Block] = []
    start, section = 0, passage.section
    before = ""  # the line above, or "." where that line ended a sentence or was a heading
    for i, (begin, end, line) in enumerate(lines):
        after = lines[i + 1][2] if i + 1 < len(lines) else ""
        if is_heading(line, before, after):
            blocks += [(a, b, section, False) for a, b in _between_blank_lines(text, start, begin)]
            blocks.append((begin, end, section, True))
            start, section, line = end, line.lstrip("#").strip(), "."
        before = line
    blocks += [(a, b, section, False) for a, b in _between_blank_lines(text, start, len(text))]
    return blocks


def is_heading(line: str, before: str, after: str) -> bool:
    """A short line on its own, after a finished sentence (or at the start), above a line
    that starts like a sentence; a list ("Preis 60 %" below "Kriterien:") or table row is not.
    The PDF reader cuts a page at such lines too (`pdf_sections.py`)."""
    if not line or not after or not (after[0].isupper() or after[0].isdigit()):
        return False
    if before and before[-1] not in ".!?;":
        return False
    if len(line) > _HEADING_CHARS or line[-1] in ".!?;:,-" or "|" in line or "\t" in line:
        return False
    if holds_sentence(line):
        return False
    return bool(_NUMBERED.match(line)) or len(line.split()) <= _HEADING_WORDS


def holds_sentence(line: str) -> bool:
    """Whether a short line is (part of) a sentence: a sentence ends inside it, it has a
    finite verb, or it runs on (`runs_on`: "… T14. Die", "Geliefert werden …").
    A number's full stop ends no sentence in a heading ("IV. Zuschlag", "Abschnitt 2.
    Vergabeverfahren", "Anlage 3 Los 2. Möbel")."""
    pieces = _split(line, 0, len(line))
    return (
        any(not _HEADING_NUMBER.search(piece) for piece in pieces[:-1])
        or any(word in _FINITE for word in _words(line)[1:])
        or runs_on(line)
    )


def runs_on(line: str) -> bool:
    """Whether a line's sentence goes on in the next line: it ends in a comma, a hyphen or a
    word that needs more ("… der Transparenz und der")."""
    words = _words(line)
    return bool(words) and (line[-1] in ",-–" or words[-1] in _GOES_ON)


def _words(line: str) -> list[str]:
    """A line's words in lower case, without quotes, brackets, commas and colons."""
    return [word.strip("„“\"'(),:").lower() for word in line.split()]


def _between_blank_lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts = [m.start() for m in _BLANK.finditer(text, start, end)]
    return list(zip([start, *cuts], [*cuts, end], strict=True))


def _split(text: str, start: int, end: int) -> list[str]:
    """The sentences of text[start:end], verbatim and stripped."""
    parts, begin = [], start
    for match in _END.finditer(text, start, end):
        if match.group() != "." or _ends_sentence(text, match.start(), start):
            parts.append(text[begin : match.end()])
            begin = match.end()
    parts.append(text[begin:end])
    return [part.strip() for part in parts if part.strip()]


def _ends_sentence(text: str, stop: int, start: int) -> bool:
    """Whether the full stop at `stop` ends a sentence (not an ordinal or abbreviation)."""
    following = text[stop + 1 : stop + 2 + _LOOK_BACK].lstrip()
    if following[:1].islower():
        return False
    window = text[max(start, stop - _LOOK_BACK) : stop]
    word = _WORD_BEFORE.search(window)
    if word is None:
        return True
    name = word.group(1)
    ahead = window[: word.start()]
    if len(name) == 1 and name.isalpha():  # an initial ("A. Weber"), not a unit ("2,0 m. Die")
        number = re.fullmatch(r"\d+(?:[.,]\d+)*", (ahead.split() or [""])[-1])
        return bool(number) and following[:1].isupper()  # "Abs. 2 S. 1": a sentence's number
    if name.lower() in _ABBREVIATIONS:
        return False
    if name.lower().endswith("str"):  # a street: "Siemensstr. 3", "Miele-Str. 4"
        return False
    if name.lower() in _MONTHS_SHORT and following[:1].isdigit():
        return False
    if not re.fullmatch(r"\d+(?:\.\d+)*", name):
        return True
    at_block_start = not ahead.strip() and stop - _LOOK_BACK <= start
    at_line_start = at_block_start or ahead.rstrip(" \t").endswith("\n")
    previous = ahead.split()[-1].lower() if ahead.split() else ""
    ordinal = len(name) <= 2 and (
        previous in _BEFORE_ORDINALS or _MONTHS.match(text, stop + 1) is not None
    )
    return not (at_line_start or ordinal)
