"""A PDF's pages as passages under the headings their lines show, as DOCX and ODT are read.

A PDF keeps no headings, only lines; a citation of it named its page alone while one of a DOCX
named "§ 2 Steuersatz". A numbered line that a tender's reader takes for a heading
(`sentences.is_heading`: "2. Angebotsfristen", "§ 3 Vergabe", "IV. Zuschlag", "Anlage 2", not a
numbered item that holds a sentence) starts a passage and is its section, on its page and on
the pages after it until the next heading. A short line without a number is no section, though
it ends the sentence above it for the test: on a PDF's page it is as often a letter's address
("Stadt Musterhausen" over "Ordnungsamt"), a table's cell or the place and date above a
signature as a heading, and each would cut the page into passages of a line. The heading line
stays in the passage's text: it is the document's words, as a citation quotes them and the page
shows them. A heading has no level in a PDF's text, so a section is the last heading, not a
path of them.

A page's running header or footer is never a heading, nor does it end or start a sentence for
the test: a page's number ("Seite 2 von 5", "- 3 -"), and a line that stands at the same edge
(top or bottom) of most pages, at least two, as a header does, short ("Stadt Musterhausen –
Vergabeunterlagen") and not the end or start of the body's sentence. Made sections, they would
replace the heading above them on every page. A body line that ends two pages of a long
document is the document's words: left out, its paragraph's last sentence would run into the
heading below it.

A document's title above its first heading ("Ausschreibung: Mittagsverpflegung an sieben
Grundschulen" over "der Stadt Musterstadt") ends no sentence, yet it is no sentence either:
the lines at the top of the first page that hold no sentence's end, verb or unfinished last
word, a few short ones, do not keep the heading below them from being one; nor does such a
line above a blank line (as `sentences` reads a blank line: a sentence's end). Anywhere else a
line without a sentence's end above a numbered line is a sentence wrapped ("… geliefert bis" /
"Ende Juli an die" / "3. Etage"), and the numbered line is no heading.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from gemeingut.apps.rag.passages import Page, Passage
from gemeingut.apps.rag.sentences import holds_sentence, is_heading, runs_on

_PAGE_NUMBER = re.compile(r"\b(?:Seite|Page|Blatt)\s+\d+", re.IGNORECASE)
# A heading's number before its words ("2.", "2.1", "1", "3)", "IV.", "B)", "§ 3") or a part's
# name and number ("Anlage 2", "Abschnitt III"); a postal code ("12345 Musterhausen") is none.
_NUMBERED = re.compile(
    r"(?:\d{1,2}(?:\.\d{1,2})*\.?|\d{1,2}\)|[IVXLC]+\.|[A-Z][.)]|§+\s*\d+[a-z]?)\s+\S"
    r"|(?:Anlage|Anhang|Abschnitt|Kapitel|Teil|Artikel|Art\.)\s+(?:\d+|[IVXLC]+|[A-Z])\b"
)
_LETTER = re.compile(r"[^\W\d_]")
_EDGE = 2  # lines at the top and at the bottom of a page where a running header or footer stands
_RUNNING_SHARE = 0.6  # of a document's pages that a running line stands on, at least two
_RUNNING_CHARS = 80  # a running line is short, as a heading is
_TITLE_LINES = 3  # a title's lines above the first heading
_TITLE_CHARS = 80


def pdf_passages(pages: list[tuple[Page | None, str]]) -> Iterator[Passage]:
    """The passages of a PDF's pages (each its printed page and its text, lines apart by
    "\\n"), cut at heading lines; a passage before a page's first heading is under the
    heading last seen on a page before."""
    lines = [(sheet, line) for sheet, (_, text) in enumerate(pages) for line in text.split("\n")]
    headings = _heading_places(lines, _running(lines, len(pages)))
    section: str | None = None
    held: list[str] = []
    for place, (sheet, line) in enumerate(lines):
        if place and (place in headings or sheet != lines[place - 1][0]):
            yield Passage("\n".join(held), pages[lines[place - 1][0]][0], section)
            held = []
        if place in headings:
            section = line.strip()
        held.append(line)
    if lines:
        yield Passage("\n".join(held), pages[lines[-1][0]][0], section)


def _heading_places(lines: list[tuple[int, str]], running: set[int]) -> set[int]:
    """The places in `lines` of the heading lines: the test sees each line between the
    lines above and below it, a page's running lines and empty lines left out; the title
    at the top of the first page counts as a finished line."""
    shown = [
        place
        for place, (_, line) in enumerate(lines)
        if place not in running and not _never_heading(line.strip())
    ]
    title = _title_end(lines, shown)
    found: set[int] = set()
    before = ""  # the line above, or "." where that was a heading (as `sentences` reads it)
    for number, place in enumerate(shown):
        line = lines[place][1].strip()
        after = lines[shown[number + 1]][1].strip() if number + 1 < len(shown) else ""
        finished = number == title or _above_a_gap(lines, shown, number)
        if is_heading(line, "." if finished else before, after):
            if _NUMBERED.match(line):
                found.add(place)
            line = "."
        before = line
    return found


def _title_end(lines: list[tuple[int, str]], shown: list[int]) -> int:
    """The number in `shown` of the line below the first page's title, or -1: a few short
    lines at its top that together hold no sentence, the last of them above a numbered one."""
    for end in range(1, min(_TITLE_LINES, len(shown) - 1) + 1):
        below = lines[shown[end]]
        if below[0] != lines[shown[0]][0] or lines[shown[0]][0] != 0:
            return -1
        title = [lines[place][1].strip() for place in shown[:end]]
        if any(len(line) > _TITLE_CHARS for line in title):
            return -1
        joined = " ".join(title)
        if joined[-1] in ".!?;:,-" or holds_sentence(joined):
            continue
        if _NUMBERED.match(below[1].strip()):
            return end
    return -1


def _above_a_gap(lines: list[tuple[int, str]], shown: list[int], number: int) -> bool:
    """Whether the line above the `number`th shown one is a short line without a sentence,
    a blank line between them."""
    if number == 0:
        return False
    above = lines[shown[number - 1]][1].strip()
    gap = any(not line.strip() for _, line in lines[shown[number - 1] + 1 : shown[number]])
    short = len(above) <= _TITLE_CHARS
    return gap and short and not holds_sentence(above)


def _never_heading(line: str) -> bool:
    """Whether a line is empty, a page's number or a number without words."""
    return not _LETTER.search(line) or bool(_PAGE_NUMBER.search(line))


def _running(lines: list[tuple[int, str]], pages: int) -> set[int]:
    """The places in `lines` of the pages' running headers and footers: among a page's first
    and last lines, those that stand at the same edge of most pages, short and none a piece
    of the body's sentence (a page's number is never a heading, whatever its place)."""
    edges: dict[tuple[str, str], set[int]] = {}
    places: list[tuple[int, tuple[str, str]]] = []
    by_page: list[list[int]] = [[] for _ in range(pages)]
    for place, (sheet, line) in enumerate(lines):
        if line.strip():
            by_page[sheet].append(place)
    for sheet, on_page in enumerate(by_page):
        for edge, chosen in (("top", on_page[:_EDGE]), ("bottom", on_page[-_EDGE:])):
            for place in chosen:
                line = lines[place][1].strip()
                if len(line) <= _RUNNING_CHARS and _stands_alone(lines, on_page, place):
                    key = (edge, " ".join(line.split()))
                    edges.setdefault(key, set()).add(sheet)
                    places.append((place, key))
    least = max(2, _RUNNING_SHARE * pages)
    return {place for place, key in places if len(edges[key]) >= least}


def _stands_alone(lines: list[tuple[int, str]], on_page: list[int], place: int) -> bool:
    """Whether a line at a page's edge is not part of the body's sentence: it starts in upper
    case or a digit, does not run on, and the line above it does not run into it."""
    line = lines[place][1].strip()
    above = on_page.index(place) - 1
    return (
        not line[0].islower()
        and not runs_on(line)
        and (above < 0 or not runs_on(lines[on_page[above]][1].strip()))
    )
