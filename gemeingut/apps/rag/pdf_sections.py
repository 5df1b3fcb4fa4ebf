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
the test: a line that is the first or last of two pages or more ("Stadt Musterhausen –
Vergabeunterlagen"), a page's number ("Seite 2 von 5", "- 3 -"): made sections, they would
replace the heading above them on every page.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from gemeingut.apps.rag.passages import Page, Passage
from gemeingut.apps.rag.sentences import is_heading

_PAGE_NUMBER = re.compile(r"\b(?:Seite|Page|Blatt)\s+\d+", re.IGNORECASE)
# A heading's number before its words ("2.", "2.1", "1", "3)", "IV.", "B)", "§ 3") or a part's
# name and number ("Anlage 2", "Abschnitt III"); a postal code ("12345 Musterhausen") is none.
_NUMBERED = re.compile(
    r"(?:\d{1,2}(?:\.\d{1,2})*\.?|\d{1,2}\)|[IVXLC]+\.|[A-Z][.)]|§+\s*\d+[a-z]?)\s+\S"
    r"|(?:Anlage|Anhang|Abschnitt|Kapitel|Teil|Artikel|Art\.)\s+(?:\d+|[IVXLC]+|[A-Z])\b"
)
_LETTER = re.compile(r"[^\W\d_]")
_EDGE = 2  # lines at the top and at the bottom of a page where a running header or footer stands


def pdf_passages(pages: list[tuple[Page | None, str]]) -> Iterator[Passage]:
    """The passages of a PDF's pages (each its printed page and its text, lines apart by
    "\\n"), cut at heading lines; a passage before a page's first heading is under the
    heading last seen on a page before."""
    lines = [(sheet, line) for sheet, (_, text) in enumerate(pages) for line in text.split("\n")]
    headings = _heading_places(lines, _running([text for _, text in pages]))
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


def _heading_places(lines: list[tuple[int, str]], running: set[str]) -> set[int]:
    """The places in `lines` of the heading lines: the test sees each line between the
    lines above and below it, a page's running lines and empty lines left out."""
    shown = [
        place
        for place, (_, line) in enumerate(lines)
        if line.strip() and not _never_heading(line.strip(), running)
    ]
    found: set[int] = set()
    before = ""  # the line above, or "." where that was a heading (as `sentences` reads it)
    for number, place in enumerate(shown):
        line = lines[place][1].strip()
        after = lines[shown[number + 1]][1].strip() if number + 1 < len(shown) else ""
        if is_heading(line, before, after):
            if _NUMBERED.match(line):
                found.add(place)
            line = "."
        before = line
    return found


def _never_heading(line: str, running: set[str]) -> bool:
    """Whether a line is a page's running header or footer, or a number without words."""
    return line in running or not _LETTER.search(line) or bool(_PAGE_NUMBER.search(line))


def _running(texts: list[str]) -> set[str]:
    """The lines that stand at the top or bottom of two pages or more."""
    seen: Counter[str] = Counter()
    for text in texts:
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        seen.update(set(lines[:_EDGE] + lines[-_EDGE:]))
    return {line for line, pages in seen.items() if pages > 1}
