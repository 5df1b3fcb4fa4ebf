"""Every citation of an answer checked against the source it names.

Answers cite the numbered sources they were given as `[n]`, several as `[1, 3]`, `[1–3]` or
`[1, S. 4; 2]`, with a page as `[n, S. 4]` (also `Seite`, `p.`, `page`) or pages as
`[n, S. 7-8]`, `[n, S. 7 f.]`, `[n, pp. 7–8]`, `[n, S. 7 ff.]`, `[n, S. 3, 4]` (a page of
front matter printed in roman numerals as `[n, S. iv]`, `[n, S. ii–iv]`), and with a
pinpoint as `[n, § 4]`, `[n, Art. 5 Abs. 2]` (also `Nr.`, `Rn.`); a passage quoted right before
the marker („…“, "…", “…”, '…', …), with only spaces, a dash, a colon or an opening bracket
between them, must stand in that source. Each citation is checked: the number names a source,
the page is the source's page, the quoted passage is in its text (compared with case, quote
marks, dashes and whitespace evened out). A citation without a quote, or with a quote too short
to prove anything („die“), names a source but proves nothing, so it is not counted as support:
"cited, not quoted (not checked)"; a pinpoint is named as not checked, for chunks know pages
but not paragraphs. A marker that looks like a citation but cannot be read (`[1, Abs. x]`) is
named, not passed over; a year in brackets ("im Jahr [2023]") is not read as a citation where
there are far fewer sources. An answer with no citation at all has no evidence, and says so.
The problems are codes (`Problem`) for machines and messages in the answer's language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal, Protocol

from gemeingut.apps.rag.list_numbers import roman
from gemeingut.apps.rag.readers import join_line_end_hyphens, without_invisible
from gemeingut.i18n import DEFAULT, LANGUAGES, Message, _, plural, text

Problem = Literal[
    "unknown_source",
    "no_pages",
    "wrong_page",
    "quote_not_in_source",
    "not_quoted",
    "pinpoint_not_checked",
    "unreadable",
    "no_citation",
]
Status = Literal["supported", "not_checked", "unsupported", "no_citation"]
_NOT_CHECKED = {"not_quoted", "pinpoint_not_checked"}  # nothing wrong found, nothing proved

# Anything in brackets that starts with a number, as a citation would: what is not a readable
# citation among these is named as such rather than skipped.
_MARKER = re.compile(r"\[\s*(?P<inside>\d{1,9}(?:[\s,;:–-][^\[\]\n]{0,80})?)\]")
# A year in brackets ("im Jahr [2023]", "[2019–2021]"), which an answer with far fewer sources
# (fewer than a tenth of the year's number) does not mean as a citation.
_YEAR = re.compile(r"\s*(?P<year>[12]\d{3})(?:\s*[-–—]\s*[12]\d{3})?\s*")
_YEARS_PER_SOURCE = 10
_RANGE = r"\d{1,9}(?:\s*[-–—]\s*\d{1,9})?"
_NUMERAL = r"(?:\d{1,9}|[ivxlcdm]{1,15}\b)"  # a page's number, or its roman numeral ("iv")
_PAGE = rf"{_NUMERAL}(?:\s*[-–—]\s*{_NUMERAL}|\s*ff?\.?)?"
_PIN = r"(?:§§?|Abs\.?|Nr\.|Rn\.|Art\.)\s*\d{1,9}[a-z]?(?:\s*[-–—]\s*\d{1,9}[a-z]?)?"
_PART = re.compile(
    rf"(?P<ids>{_RANGE}(?:\s*,\s*{_RANGE})*)"
    rf"(?:\s*[,:]?\s*(?:S\.?|Seiten?|pp?\.|pages?)\s*(?P<pages>{_PAGE}(?:\s*,\s*{_PAGE})*))?"
    rf"(?:\s*,?\s*(?P<pinpoint>{_PIN}(?:\s*,?\s*{_PIN})*))?\s*",
    re.IGNORECASE,
)
_ONE_RANGE = re.compile(r"(?P<first>\d+)(?:\s*[-–—]\s*(?P<last>\d+))?")
_ONE_PAGE = re.compile(
    r"(?P<first>\d+|[ivxlcdm]+)(?:\s*[-–—]\s*(?P<last>\d+|[ivxlcdm]+)|\s*(?P<following>ff?)\.?)?",
    re.IGNORECASE,
)
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
_ROMAN_NUMERAL = re.compile(r"[ivxlcdm]+", re.IGNORECASE)
# German „…“ and »…«, English “…” and "…", Swiss «…», the single ‚…‘ and ›…‹, and straight
# single quotes where they cannot be apostrophes (none right after a letter, as in "geht's"):
# a quote in any of them is checked (one missed would pass without a check). Each closing mark
# with the opening marks that may start its quote.
_OPENERS = {"“": "„", "”": "„“", '"': '„"', "«": "»", "»": "«", "‘": "‚", "’": "‚", "‹": "›"}
# „ closes with “ and ‚ with ‘; ” or " for “ and ’ for ‘ are stand-ins, read only where the
# opener's own closing mark does not stand between: there its quote ended, and the stand-in is
# an apostrophe ("Hans’") or closes nothing.
_OWN_CLOSER = {"„": "“", "‚": "‘"}
# Between quote and marker: spaces, punctuation, a dash, an opening bracket, "vgl.", and
# brackets (the markers of other sources the same quote is cited from).
_CONNECTOR_MARKS = frozenset(",.:;(–—-")
_CONNECTOR_WORDS = ("vgl.", "siehe", "see", "cf.")
# A quote proves something only when it is long enough not to stand anywhere („die“).
_MIN_QUOTE_WORDS = 3
_MIN_QUOTE_CHARS = 15


class Source(Protocol):
    text: str
    page: int | str | None  # as printed: its number, or its label ("iv")


@dataclass(frozen=True)
class Citation:
    source: int  # 1-based, as written
    page: int | str | None  # the (first) page cited; a roman numeral in lower case ("iv")
    last_page: int | str | None  # the last page cited: `page` for one page, None after "ff."
    quote: str | None
    start: int  # the marker's place in the answer
    end: int  # the place after the marker's `]`
    # Where the marker writes this source's number (`[1–3]` writes 1 and 3, not 2): a client
    # links it without reading markers itself. None where it is not written.
    number_start: int | None
    number_end: int | None
    problem: Problem | None  # None when the quote is in the source
    message: str | None  # the problem in the answer's language


@dataclass(frozen=True)
class Verdict:
    citations: list[Citation]
    supported: bool  # at least one citation, and every citation's quote is in its source
    problems: list[str]  # messages, in the answer's language
    # supported; not_checked: nothing found wrong, but a citation quotes nothing to check or
    # names a pinpoint; unsupported: a citation is wrong or unreadable; no_citation
    status: Status


# First and last page cited (last None: "and following"): numbers, or both roman numerals.
Pages = tuple[int | str, int | str | None]


@dataclass(frozen=True)
class Quote:
    text: str  # as written
    normalised: str  # as compared


@dataclass(frozen=True)
class Cited:
    """What one part of a marker names: sources `first`…`last`, pages, a pinpoint."""

    first: int
    last: int
    pages: tuple[Pages, ...]  # empty: no page named
    pinpoint: str | None
    written: tuple[tuple[int, int, int], ...]  # (number, start, end) in the marker's inside


@dataclass
class Evidence:
    """The sources as compared, each text normalised once per answer, each quote looked up
    once per source: an answer may cite one long source a thousand times."""

    sources: list[Source]
    _texts: dict[int, str] = field(default_factory=dict)
    _found: dict[tuple[str, int], bool] = field(default_factory=dict)

    def holds(self, quote: Quote, number: int) -> bool:
        key = (quote.normalised, number)
        if key not in self._found:
            if number not in self._texts:
                self._texts[number] = normalise(self.sources[number - 1].text)
            self._found[key] = quote.normalised in self._texts[number]
        return self._found[key]


def check_citations(answer: str, sources: list[Source], language: str = "de") -> Verdict:
    """The verdict on `answer`'s citations of `sources` (numbered from 1), its messages in
    `language`; a citation's `problem` is a code that stays the same in every language."""
    language = language if language in LANGUAGES else DEFAULT
    evidence = Evidence(sources)
    citations = [
        citation
        for marker, quote in quoted_markers(answer)
        if not _is_year(marker, len(sources))
        for citation in _marker_citations(marker, quote, evidence, language)
    ]
    problems = [c.message for c in citations if c.message]
    if not citations:
        problems = [text(_("The answer cites none of the sources."), language)]
    return Verdict(citations, bool(citations) and not problems, problems, _status(citations))


def _is_year(marker: re.Match[str], sources: int) -> bool:
    """Whether the marker is a year in brackets rather than a citation: `[2023]` where there
    are 5 sources is a year, where there are 500 a source that is missing (and `[7]` of 5
    sources is always one)."""
    year = _YEAR.fullmatch(marker["inside"])
    return year is not None and int(year["year"]) > _YEARS_PER_SOURCE * sources


def _marker_citations(
    marker: re.Match[str],
    quote: Quote | None,
    evidence: Evidence,
    language: str,
) -> list[Citation]:
    """The citations of one marker: one for each source it names."""
    place = {"quote": quote.text if quote else None, "start": marker.start(), "end": marker.end()}
    inside = marker.start("inside")
    cited = _read_marker(marker["inside"])
    if cited is None:
        first = re.match(r"\d+", marker["inside"])
        message = _(
            "{marker} cannot be read as a citation; write [n] or [n, p. 4].", marker=marker[0]
        )
        unread = {"problem": "unreadable", "message": text(message, language)}
        written = {"number_start": inside + first.start(), "number_end": inside + first.end()}
        return [
            Citation(source=int(first[0]), page=None, last_page=None, **place, **written, **unread)
        ]
    citations = []
    for part in cited:
        first, last = (part.pages[0][0], part.pages[-1][1]) if part.pages else (None, None)
        at = {number: (inside + begin, inside + end) for number, begin, end in part.written}
        for number in _numbers(part.first, part.last, len(evidence.sources)):
            problem, message = _problem(number, part, quote, evidence)
            number_start, number_end = at.get(number, (None, None))
            citations.append(
                Citation(
                    source=number,
                    page=first,
                    last_page=last,
                    **place,
                    number_start=number_start,
                    number_end=number_end,
                    problem=problem,
                    message=text(message, language) if message is not None else None,
                )
            )
    return citations


@lru_cache(maxsize=1024)  # answers repeat their markers
def _read_marker(inside: str) -> tuple[Cited, ...] | None:
    """What each part of a marker names (`1, 2, S. 4; 3`), or None where the marker cannot be
    read."""
    cited, offset = [], 0
    for part in inside.split(";"):
        lead = offset + len(part) - len(part.lstrip())
        offset += len(part) + 1
        found = _PART.fullmatch(part.strip())
        if found is None:
            return None
        ranges = list(_ONE_RANGE.finditer(found["ids"]))
        ids = [(int(m["first"]), int(m["last"] or m["first"])) for m in ranges]
        pages = tuple(_pages(m) for m in _ONE_PAGE.finditer(found["pages"] or ""))
        if not all(pages) or any(
            last is not None and _order(last) < _order(first) for first, last in [*ids, *pages]
        ):
            return None  # a range from a roman numeral to a number, or backwards
        pinpoint = " ".join(found["pinpoint"].split()) if found["pinpoint"] else None
        at = lead + found.start("ids")
        cited += [
            Cited(int(m["first"]), int(m["last"] or m["first"]), pages, pinpoint, _written(m, at))
            for m in ranges
        ]
    return tuple(cited)


def _written(found: re.Match[str], at: int) -> tuple[tuple[int, int, int], ...]:
    """The numbers a range writes (`1–3`: 1 and 3), with their places after `at`."""
    return tuple(
        (int(found[name]), at + found.start(name), at + found.end(name))
        for name in ("first", "last")
        if found[name] is not None
    )


def _pages(found: re.Match[str]) -> Pages | None:
    """The pages one part names; None for a range from a roman numeral to a number."""
    first = _page(found["first"])
    if found["last"] is not None:
        last = _page(found["last"])
        return (first, last) if type(first) is type(last) else None
    if found["following"] is not None:
        if found["following"].lower() == "ff":
            return first, None
        return first, first + 1 if isinstance(first, int) else roman(_order(first) + 1)
    return first, first


def _page(written: str) -> int | str:
    return int(written) if written.isdigit() else written.lower()


def _order(page: int | str) -> int:
    """Where a page stands among its kind: a number itself, a roman numeral its value."""
    if isinstance(page, int):
        return page
    values = [_ROMAN.get(c, 0) for c in page.lower()]
    return sum(-v if v < after else v for v, after in zip(values, [*values[1:], 0], strict=True))


def _numbers(first: int, last: int, count: int) -> list[int]:
    """The sources a range names; past the last source only the first missing one, so that
    `[1–999999]` is one problem, not a million."""
    named = list(range(first, min(last, count) + 1))
    return [*named, max(first, count + 1)] if last > count else named


def _problem(
    number: int, cited: Cited, quote: Quote | None, evidence: Evidence
) -> tuple[Problem | None, Message | None]:
    """What is wrong with citing source `number` as `cited`, and its message; numbers are
    given as written (`[2023]`, not "2.023")."""
    n = str(number)
    if not 1 <= number <= len(evidence.sources):
        count = len(evidence.sources)
        one = _("[{n}] names no source (there is only one).", n=n)
        other = _("[{n}] names no source (there are {count}).", n=n, count=str(count))
        return "unknown_source", plural(count, one, other)
    page = evidence.sources[number - 1].page
    if cited.pages and (page is None or not any(_on_pages(page, p) for p in cited.pages)):
        return _page_problem(n, cited.pages, page)
    if quote is None:
        return "not_quoted", _("[{n}] is cited, not quoted (not checked).", n=n)
    if not evidence.holds(quote, number):
        shown = quote.text if len(quote.text) <= 80 else quote.text[:77] + "…"
        return "quote_not_in_source", _("[{n}]: “{quote}” is not in that source.", n=n, quote=shown)
    if cited.pinpoint:
        return "pinpoint_not_checked", _(
            "[{n}]: the quote is in the source; the pinpoint {pinpoint} was not checked.",
            n=n,
            pinpoint=cited.pinpoint,
        )
    return None, None


def _page_problem(
    n: str, cited: tuple[Pages, ...], page: int | str | None
) -> tuple[Problem, Message]:
    """A page named for a source without pages, or pages that do not hold the source's; one
    sentence for one page, one for several (each language words them its own way)."""
    pages = ", ".join(_span(first, last) for first, last in cited)
    one = len(cited) == 1 and cited[0][0] == cited[0][1]
    if page is None:
        if one:
            return "no_pages", _(
                "[{n}] names page {pages}, but the source has no pages.", n=n, pages=pages
            )
        return "no_pages", _(
            "[{n}] names pages {pages}, but the source has no pages.", n=n, pages=pages
        )
    if one:
        return "wrong_page", _(
            "[{n}] names page {pages}; the passage is on page {actual}.",
            n=n,
            pages=pages,
            actual=str(page),
        )
    return "wrong_page", _(
        "[{n}] names pages {pages}; the passage is on page {actual}.",
        n=n,
        pages=pages,
        actual=str(page),
    )


def _on_pages(page: int | str, pages: Pages) -> bool:
    """Whether the source's page is among those cited: a number among numbers, a roman
    numeral among roman numerals ("iv" in "ii–v"); a label of another kind ("A-1") is cited
    by no page of a marker."""
    first, last = pages
    if isinstance(page, str) and not (isinstance(first, str) and _ROMAN_NUMERAL.fullmatch(page)):
        return False
    if isinstance(page, int) and not isinstance(first, int):
        return False
    at = _order(page)
    return _order(first) <= at and (last is None or at <= _order(last))


def _span(first: int | str, last: int | str | None) -> str:
    if first == last:
        return str(first)
    return f"{first}–{last}" if last is not None else f"{first} ff."


def _status(citations: list[Citation]) -> Status:
    found = {c.problem for c in citations if c.problem is not None}
    if not citations:
        return "no_citation"
    if found - _NOT_CHECKED:
        return "unsupported"
    return "not_checked" if found else "supported"


def quoted_markers(answer: str) -> Iterator[tuple[re.Match[str], Quote | None]]:
    """Each marker with the passage quoted right before it. The scan runs from each marker
    to the left and never past the marker before, which keeps it linear in the answer's
    length; a marker that follows another with only connectors between shares its quote."""
    floor, quote = 0, None
    for marker in _MARKER.finditer(answer):
        start = _connectors_start(answer, marker.start(), floor)
        if start > floor or floor == 0:
            quote = _quote_ending_at(answer, start, floor)
        yield marker, quote
        floor = marker.end()


def _connectors_start(answer: str, end: int, floor: int) -> int:
    """Where the run of connectors (spaces, punctuation, "vgl.", brackets) before `end`
    begins, looking no further left than `floor`."""
    at = end
    while at > floor:
        word = _connector_word(answer, at, floor)
        if word is not None:
            at -= len(word)
        elif answer[at - 1].isspace() or answer[at - 1] in _CONNECTOR_MARKS:
            at -= 1
        elif answer[at - 1] == "]" and (opening := answer.rfind("[", floor, at - 1)) >= 0:
            if "]" in answer[opening : at - 1] or "\n" in answer[opening:at]:
                break
            at = opening
        else:
            break
    return at


def _connector_word(answer: str, at: int, floor: int) -> str | None:
    """The connecting word ("vgl.", "siehe") that ends at `at`, if any."""
    if answer[at - 1] not in ".eE":
        return None
    ending = answer[max(floor, at - 5) : at].lower()
    return next((word for word in _CONNECTOR_WORDS if ending.endswith(word)), None)


def _quote_ending_at(answer: str, end: int, floor: int) -> Quote | None:
    """The passage whose closing mark stands right before `end`: from the nearest opening mark
    to its left (the leftmost would start at the closing mark of an earlier quote)."""
    close = end - 1
    if close < floor:
        return None
    mark = answer[close]
    if mark == "'":
        opening = _single_quote_start(answer, close, floor)
    elif mark in _OPENERS:
        opening = max(answer.rfind(opener, floor, close) for opener in _OPENERS[mark])
        if opening >= 0 and _closed_before(answer, opening, close):
            return None
    else:
        return None
    return _long_enough(answer[opening + 1 : close]) if opening >= 0 else None


def _closed_before(answer: str, opening: int, close: int) -> bool:
    """Whether the quote opened at `opening` ended before the stand-in mark at `close` (an
    apostrophe between letters, "geht‘s", ends nothing)."""
    own = _OWN_CLOSER.get(answer[opening])
    if own is None or answer[close] == own:
        return False
    at = opening
    while (at := answer.find(own, at + 1, close)) >= 0:
        if not (_is_word(answer, at - 1) and _is_word(answer, at + 1)):
            return True
    return False


def _single_quote_start(answer: str, close: int, floor: int) -> int:
    """The straight single quote that opens the one closing at `close`, skipping apostrophes
    ("geht's"); -1 where there is none."""
    if close == floor or answer[close - 1].isspace() or _is_word(answer, close + 1):
        return -1
    at = close
    while (at := answer.rfind("'", floor, at)) >= 0:
        before, after = _is_word(answer, at - 1), _is_word(answer, at + 1)
        if before and after:
            continue  # an apostrophe
        if before or (at > 0 and answer[at - 1] == "'") or answer[at + 1].isspace():
            return -1
        return at
    return -1


def _is_word(answer: str, at: int) -> bool:
    return 0 <= at < len(answer) and (answer[at].isalnum() or answer[at] == "_")


def _long_enough(text: str) -> Quote | None:
    # German sets the sentence's full stop inside the closing mark („… vier Wochen.“) where the
    # source's sentence may go on: the quote's closing punctuation is not compared.
    normalised = normalise(text).rstrip(".,;:!?… ")
    if len(normalised.split()) < _MIN_QUOTE_WORDS and len(normalised) < _MIN_QUOTE_CHARS:
        return None
    return Quote(text.strip(), normalised)


def normalise(text: str) -> str:
    """Text as compared: NFKC, case folded, one kind of quote, dash and space, nothing
    invisible, a word hyphenated at a line end joined."""
    text = join_line_end_hyphens(without_invisible(unicodedata.normalize("NFKC", text)))
    text = re.sub(r"[„“”«»‚‘’\"']", "'", text)
    text = re.sub(r"[‐‑‒–—]", "-", text)
    return re.sub(r"\s+", " ", text).strip().casefold()
