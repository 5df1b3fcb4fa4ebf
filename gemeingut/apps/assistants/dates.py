"""The dates a tender draft writes: a deadline is often given as two dates ("Die Bekanntmachung
wird am 05.01.2027 versandt. Angebote sind bis zum 12. Januar 2027 einzureichen.") instead of a
number of days, and the tender check counts the days between them.

German forms are read: 12.01.2027, 12.01.27, 12. Januar 2027, 12. Jan. 2027 and 2027-01-12; a
year of two digits only as dd.mm.yy, as "Ziffer 3.1.12" is no date. A date without its year
("bis zum 12.01.") is not read: the days between two dates across a new year cannot be counted
without it. A date that does not exist (31.02.2027) is no date. A rule's pattern names such a
date as `{DATUM}` ("Angebote bis {DATUM}": a deadline stated with its date, `with_dates`).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

_MONTHS = {"jan": 1, "jän": 1, "feb": 2, "mär": 3, "mrz": 3, "apr": 4, "mai": 5, "jun": 6,
           "jul": 7, "aug": 8, "sep": 9, "okt": 10, "nov": 11, "dez": 12}  # fmt: skip
_DATE = re.compile(
    r"(?<![\d.])(?P<day>\d{1,2})\.\s?"
    r"(?:(?P<month>\d{1,2})\.\s?"
    r"|(?P<name>Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober"
    r"|November|Dezember|(?:Jan|Jän|Feb|Mär|Mrz|Apr|Jun|Jul|Aug|Sept?|Okt|Nov|Dez)\.)\s+)"
    r"(?P<year>\d{4}|\d{2})(?!\d|\.\d)"
    r"|(?<!\d)(?P<iso>\d{4}-\d{2}-\d{2})(?!\d)",
    re.IGNORECASE,
)
# `{DATUM}` in a rule's pattern stands for a date as read here (without the groups, so that a
# pattern may hold it more than once): "Angebote bis {DATUM}" finds "Angebote bis 15.01.2027".
DATE_IN_RULES = "{DATUM}"
_DATE_UNGROUPED = re.sub(r"\(\?P<\w+>", "(?:", _DATE.pattern)


def with_dates(pattern: str) -> str:
    """A rule's `pattern` with each `{DATUM}` written out as the date it stands for."""
    return pattern.replace(DATE_IN_RULES, f"(?:{_DATE_UNGROUPED})")


@dataclass(frozen=True)
class WrittenDate:
    day: datetime.date
    written: str  # as the draft writes it, for the finding
    at: int  # where it starts in the text

    def shown(self, language: str) -> str:
        """The date for a finding in `language`: in German as the draft writes it (the reader
        finds it there), in another language as that language writes a date ("January 12,
        2027"), not in German words ("12. Januar 2027") an English page would show."""
        if language == "de":
            return self.written
        from babel.dates import format_date

        return format_date(self.day, format="long", locale=language)


def german_dates(text: str) -> list[WrittenDate]:
    """The dates of `text` in their order."""
    found = []
    for match in _DATE.finditer(text):
        day = _read(match)
        if day is not None:
            found.append(WrittenDate(day, match.group(), match.start()))
    return found


def _read(match: re.Match[str]) -> datetime.date | None:
    try:
        if match["iso"]:
            return datetime.date.fromisoformat(match["iso"])
        if len(match["year"]) == 2 and (len(match["day"]) != 2 or len(match["month"] or "") != 2):
            return None
        month = int(match["month"]) if match["month"] else _MONTHS[match["name"][:3].lower()]
        year = int(match["year"]) + (2000 if len(match["year"]) == 2 else 0)
        return datetime.date(year, month, int(match["day"]))
    except ValueError:
        return None
