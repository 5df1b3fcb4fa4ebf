"""Headings in a text file: the lines a reader of the plain text takes for one.

A text file has no markup, yet laws and instructions saved as text show their structure in
lines of their own: a Markdown heading ("## § 1 Anwendungsbereich"), or a German law's heading
("§ 12 Gebühren", "Art. 3", "Abschnitt 2 Verfahren", "Teil 1"). Such a line is a section, as
a heading is in Markdown, so that a source is named "§ 12 Gebühren" and not only by its file.
A law's heading ranks by its kind (Buch and Anlage above Teil, Kapitel, Abschnitt,
Unterabschnitt, then § and Artikel), also where it is written as a Markdown heading, and below
any Markdown heading that is no law's (the title "# Informationsfreiheitsgesetz").

A line that only begins with a reference in running text is no heading: "§ 5 Abs. 2 gilt
entsprechend." ends in a sentence's mark, "§ 5 Satz 1" and "§ 5 BGB" name a place or a law,
"§ 7 gilt" goes on in lower case, and a line after one that ends in a lower-case word ("nach")
or a comma goes on with that sentence.
"""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r" {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*")
_PARTS = r"Buch|Teil|Kapitel|Abschnitt|Unterabschnitt"
_ORDINAL = (
    r"(?:Erst|Zweit|Dritt|Viert|Fünft|Sechst|Siebt|Siebent|Acht|Neunt|Zehnt|Elft|Zwölft)e[rs]?"
)
_NUMBER = r"(?:\d{1,4}(?:\.\d{1,3})?(?:[ \t]?[a-z](?!\w))?|[IVX]{1,6})"  # 12, 12a, 12 a, 15.20, IV
# "§ 12 Gebühren", "Art 3", "Abschnitt 2 - Verfahren", "Teil II", "Zweiter Abschnitt Verfahren",
# "Anlage Gebührenverzeichnis"
_LAW = re.compile(
    rf"[ \t]*(?:(?P<kind>§|Art\.?|Artikel|{_PARTS}|Anlage)[ \t]*{_NUMBER}"
    rf"|{_ORDINAL}[ \t]+(?P<part>{_PARTS})|(?P<annex>Anlage))"
    r"\.?(?:[ \t]+(?:[-–][ \t]+)?(?P<rest>.*?))?[ \t]*"
)
_LAW_LEVELS = {  # below every Markdown level (1–6): a law's headings nest under its title
    "Buch": 11,
    "Anlage": 11,
    "Teil": 12,
    "Kapitel": 13,
    "Abschnitt": 14,
    "Unterabschnitt": 15,
    "§": 16,
    "Art": 16,
    "Art.": 16,
    "Artikel": 16,
}
# Words after "§ 5" that make it a reference, not a heading: a place within it.
_PLACES = {
    "abs.", "absatz", "absätze", "satz", "sätze", "s.", "nr.", "nrn.", "nummer", "buchst.",
    "buchstabe", "halbsatz", "unterabsatz", "alt.", "alternative", "var.", "variante", "ziff.",
    "ziffer", "ff.", "f.",
}  # fmt: skip
_LONGEST_TITLE = 20  # words of a law heading's title: a longer line is a sentence
_SENTENCE_GOES_ON = re.compile(r"(?:^|\s)[a-zäöüß]\w*$|[,\-–]$")  # "nach", "und,"


def text_heading(line: str, previous: str) -> tuple[int, str] | None:
    """(level, heading) where `line` is a heading, else None; `previous` is the line before
    it ("" at the start, after an empty line or after a heading)."""
    markdown = _MARKDOWN.fullmatch(line)
    if markdown is not None and markdown[2].strip():
        heading = markdown[2].strip()
        law = _LAW.fullmatch(heading)
        return (_LAW_LEVELS[_kind(law)] if law else len(markdown[1])), heading
    law = _LAW.fullmatch(line)
    if law is None or not _is_title(law["rest"]) or _goes_on(previous):
        return None
    return _LAW_LEVELS[_kind(law)], " ".join(line.split())


def _kind(law: re.Match[str]) -> str:
    return law["kind"] or law["part"] or law["annex"]


def _is_title(rest: str | None) -> bool:
    """Whether what follows a law heading's number is its title (or nothing): words starting
    in upper case (or "(weggefallen)"), not a place in it or a law's abbreviation, and no
    sentence's end."""
    if not rest:
        return True
    words = rest.split()
    first = words[0]
    if not (first[0].isupper() or first[0] == "(") or first.casefold() in _PLACES:
        return False
    stem = re.split(r"[-/]", first.lstrip("("))[0]  # "Berlin-Klausel": the word "Berlin"
    abbreviation = any(c.isupper() for c in stem[1:])  # BGB, VwVfG: a law's name
    return not abbreviation and len(words) <= _LONGEST_TITLE and rest[-1] not in ".,;:"


def _goes_on(previous: str) -> bool:
    """Whether the line before is a sentence that the next line continues."""
    return bool(_SENTENCE_GOES_ON.search(previous.strip()))
