"""Every citation of an answer checked against the source it names.

Answers cite the numbered sources they were given as `[n]`, several as `[1, 3]` or
`[1, S. 4; 2]`, with a page as `[n, S. 4]` (also `Seite`, `p.`, `page`) or pages as
`[n, S. 7-8]`, `[n, S. 7 f.]`, `[n, pp. 7–8]`, `[n, S. 7 ff.]`; a passage quoted right before
the marker („…“, "…", “…”, '…', …), with only spaces, a dash, a colon or an opening bracket
between them, must stand in that source. Each citation is checked: the number names a source,
the page is the source's page, the quoted passage is in its text (compared with case, quote
marks, dashes and whitespace evened out). A citation without a quote names a source but
proves nothing, so it is not counted as support: "cited, not quoted (not checked)". A marker
that looks like a citation but cannot be read (`[1, Abs. x]`) is named, not passed over. An
answer with no citation at all has no evidence, and says so.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal, Protocol

from gemeingut.apps.rag.readers import join_line_end_hyphens, without_invisible

Problem = Literal[
    "unknown_source",
    "no_pages",
    "wrong_page",
    "quote_not_in_source",
    "not_quoted",
    "unreadable",
    "no_citation",
]
Status = Literal["supported", "not_checked", "unsupported", "no_citation"]

# Anything in brackets that starts with a number, as a citation would: what is not a readable
# citation among these is named as such rather than skipped.
_MARKER = re.compile(r"\[\s*(?P<inside>\d{1,9}(?:[\s,;:–-][^\[\]\n]{0,80})?)\]")
_PAGES = (
    r"(?:S\.?|Seiten?|pp?\.|pages?)\s*(?P<first>\d{1,9})"
    r"(?:\s*[-–—]\s*(?P<last>\d{1,9})|\s*(?P<following>ff?)\.?)?"
)
_PART = re.compile(
    r"(?P<ids>\d{1,9}(?:\s*,\s*\d{1,9})*)(?:\s*[,:]?\s*" + _PAGES + r")?\s*", re.IGNORECASE
)
# German „…“ and »…«, English “…” and "…", Swiss «…», the single ‚…‘ and ›…‹, and straight
# single quotes where they cannot be apostrophes (none right after a letter, as in "geht's"):
# a quote in any of them is checked (one the pattern missed would pass without a check).
# Between quote and marker: spaces, punctuation, a dash, an opening bracket, "vgl.", and the
# markers of other sources the same quote is cited from.
_QUOTE_BEFORE = re.compile(
    r"(?:„([^“”\"]+)[“”\"]|“([^”]+)”|\"([^\"]+)\"|»([^«]+)«|«([^»]+)»|‚([^‘’]+)[‘’]|›([^‹]+)‹"
    r"|(?<![\w'])'(?=\S)((?:[^']|(?<=\w)'(?=\w))+)(?<=\S)'(?!\w))"
    r"(?:\[[^\[\]\n]*\]|[\s,.:;(–—-]|vgl\.|siehe|see|cf\.)*$",
    re.IGNORECASE,
)
_QUOTE_WINDOW = 600  # characters before a marker in which its quote may stand

PROBLEM_TEXT: dict[str, dict[str, str]] = {
    "de": {
        "unknown_source": "[{n}] nennt keine Quelle (es gibt {count}).",
        "wrong_page": "[{n}] nennt {cited}, die Stelle steht auf Seite {actual}.",
        "no_pages": "[{n}] nennt {cited}, aber die Quelle hat keine Seiten.",
        "quote_not_in_source": "[{n}]: „{quote}“ steht nicht in dieser Quelle.",
        "not_quoted": "[{n}] ist genannt, aber nicht wörtlich zitiert (nicht geprüft).",
        "unreadable": "{marker} ist als Beleg nicht lesbar; schreiben Sie [n] oder [n, S. 4].",
        "no_citation": "Die Antwort belegt nichts mit den Quellen.",
    },
    "en": {
        "unknown_source": "[{n}] names no source (there are {count}).",
        "wrong_page": "[{n}] names {cited}; the passage is on page {actual}.",
        "no_pages": "[{n}] names {cited}, but the source has no pages.",
        "quote_not_in_source": "[{n}]: “{quote}” is not in that source.",
        "not_quoted": "[{n}] is cited, not quoted (not checked).",
        "unreadable": "{marker} cannot be read as a citation; write [n] or [n, p. 4].",
        "no_citation": "The answer cites none of the sources.",
    },
}
_PAGE_WORDS = {"de": ("Seite", "Seiten"), "en": ("page", "pages")}


class Source(Protocol):
    text: str
    page: int | None


@dataclass(frozen=True)
class Citation:
    source: int  # 1-based, as written
    page: int | None  # the (first) page cited
    last_page: int | None  # the last page cited: `page` for one page, None after "ff."
    quote: str | None
    start: int  # the marker's place in the answer
    problem: str | None  # a key of PROBLEM_TEXT, or None when the quote is in the source
    message: str | None


@dataclass(frozen=True)
class Verdict:
    citations: list[Citation]
    supported: bool  # at least one citation, and every citation's quote is in its source
    problems: list[str]  # messages, in the answer's language
    # supported; not_checked: nothing found wrong, but a citation quotes nothing to check;
    # unsupported: a citation is wrong or unreadable; no_citation
    status: Status


def check_citations(answer: str, sources: list[Source], language: str = "de") -> Verdict:
    texts = PROBLEM_TEXT.get(language, PROBLEM_TEXT["de"])
    words = _PAGE_WORDS.get(language, _PAGE_WORDS["de"])
    citations = []
    for marker in _MARKER.finditer(answer):
        quote = _quote_before(answer, marker.start())
        cited = _read_marker(marker["inside"])
        if cited is None:
            first = int(re.match(r"\d+", marker["inside"])[0])
            message = texts["unreadable"].format(marker=marker[0])
            citations.append(
                Citation(first, None, None, quote, marker.start(), "unreadable", message)
            )
            continue
        for number, pages in cited:
            problem, details = _problem(number, pages, quote, sources, words)
            message = texts[problem].format(n=number, **details) if problem else None
            first, last = pages or (None, None)
            citations.append(Citation(number, first, last, quote, marker.start(), problem, message))
    problems = [c.message for c in citations if c.message]
    if not citations:
        problems = [texts["no_citation"]]
    return Verdict(citations, bool(citations) and not problems, problems, _status(citations))


Pages = tuple[int, int | None]  # first and last page cited; last None: "and following"


def _read_marker(inside: str) -> list[tuple[int, Pages | None]] | None:
    """(source, pages) for each source a marker names (`1, 2, S. 4; 3`), or None where the
    marker cannot be read."""
    cited = []
    for part in inside.split(";"):
        found = _PART.fullmatch(part.strip())
        if found is None:
            return None
        pages = _pages(found)
        if pages is not None and pages[1] is not None and pages[1] < pages[0]:
            return None
        cited += [(int(n), pages) for n in re.split(r"\s*,\s*", found["ids"])]
    return cited


def _pages(found: re.Match[str]) -> Pages | None:
    if found["first"] is None:
        return None
    first = int(found["first"])
    if found["last"] is not None:
        return first, int(found["last"])
    if found["following"] is not None:
        return (first, first + 1) if found["following"].lower() == "f" else (first, None)
    return first, first


def _problem(
    number: int,
    pages: Pages | None,
    quote: str | None,
    sources: list[Source],
    words: tuple[str, str],
) -> tuple[str | None, dict[str, object]]:
    if not 1 <= number <= len(sources):
        return "unknown_source", {"count": len(sources)}
    source = sources[number - 1]
    if pages is not None and source.page is None:
        return "no_pages", {"cited": _cited(pages, words)}
    if pages is not None and not _on_pages(source.page, pages):
        return "wrong_page", {"cited": _cited(pages, words), "actual": source.page}
    if quote is None:
        return "not_quoted", {}
    if normalise(quote) not in normalise(source.text):
        shown = quote if len(quote) <= 80 else quote[:77] + "…"
        return "quote_not_in_source", {"quote": shown}
    return None, {}


def _on_pages(page: int, pages: Pages) -> bool:
    first, last = pages
    return first <= page and (last is None or page <= last)


def _cited(pages: Pages, words: tuple[str, str]) -> str:
    """The pages cited, in words: "Seite 4", "Seiten 7–8", "Seiten 7 ff."."""
    first, last = pages
    if first == last:
        return f"{words[0]} {first}"
    return f"{words[1]} {first}–{last}" if last is not None else f"{words[1]} {first} ff."


def _status(citations: list[Citation]) -> Status:
    found = {c.problem for c in citations if c.problem is not None}
    if not citations:
        return "no_citation"
    if found - {"not_quoted"}:
        return "unsupported"
    return "not_checked" if found else "supported"


def _quote_before(answer: str, end: int) -> str | None:
    """The passage quoted right before a marker (only punctuation, brackets or other markers
    between them)."""
    found = _QUOTE_BEFORE.search(answer[max(0, end - _QUOTE_WINDOW) : end])
    if found is None:
        return None
    return next(group for group in found.groups() if group is not None).strip() or None


def normalise(text: str) -> str:
    """Text as compared: NFKC, case folded, one kind of quote, dash and space, nothing
    invisible, a word hyphenated at a line end joined."""
    text = join_line_end_hyphens(without_invisible(unicodedata.normalize("NFKC", text)))
    text = re.sub(r"[„“”«»‚‘’\"']", "'", text)
    text = re.sub(r"[‐‑‒–—]", "-", text)
    return re.sub(r"\s+", " ", text).strip().casefold()
