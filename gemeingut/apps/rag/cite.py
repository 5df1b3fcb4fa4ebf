"""Every citation of an answer checked against the source it names.

Answers cite the numbered sources they were given as `[n]`, several as `[1, 3]`, with a page
as `[n, S. 4]` (also `p.`, `Seite`, `page`); a passage quoted right before the marker
(„…“, "…", “…”) must stand in that source. Each citation is checked: the number names a
source, the page is the source's page, the quoted passage is in its text (compared with
case, quote marks, dashes and whitespace evened out). An answer with no citation at all has
no evidence, and says so.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal, Protocol

Problem = Literal["unknown_source", "wrong_page", "quote_not_in_source", "no_citation"]

_MARKER = re.compile(
    r"\[(?P<ids>\d+(?:\s*[,;]\s*\d+)*)"
    r"(?:\s*[,;]\s*(?:S\.|Seite|p\.|page|pp?\.)\s*(?P<page>\d+))?\]",
    re.IGNORECASE,
)
# German „…“ and »…«, English “…” and "…", Swiss «…», and the single ‚…‘ and ›…‹: a quote in
# any of them is checked (one the pattern missed would pass as a citation without a quote).
_QUOTE_BEFORE = re.compile(
    r"(?:„([^“”\"]+)[“”\"]|“([^”]+)”|\"([^\"]+)\"|»([^«]+)«|«([^»]+)»|‚([^‘’]+)[‘’]|›([^‹]+)‹)"
    r"\s*[,.:;]?\s*$"
)
_QUOTE_WINDOW = 600  # characters before a marker in which its quote may stand

PROBLEM_TEXT: dict[str, dict[str, str]] = {
    "de": {
        "unknown_source": "[{n}] nennt keine Quelle (es gibt {count}).",
        "wrong_page": "[{n}] nennt Seite {page}, die Stelle steht auf Seite {actual}.",
        "no_pages": "[{n}] nennt Seite {page}, aber die Quelle hat keine Seiten.",
        "quote_not_in_source": "[{n}]: „{quote}“ steht nicht in dieser Quelle.",
        "no_citation": "Die Antwort belegt nichts mit den Quellen.",
    },
    "en": {
        "unknown_source": "[{n}] names no source (there are {count}).",
        "wrong_page": "[{n}] names page {page}; the passage is on page {actual}.",
        "no_pages": "[{n}] names page {page}, but the source has no pages.",
        "quote_not_in_source": "[{n}]: “{quote}” is not in that source.",
        "no_citation": "The answer cites none of the sources.",
    },
}


class Source(Protocol):
    text: str
    page: int | None


@dataclass(frozen=True)
class Citation:
    source: int  # 1-based, as written
    page: int | None
    quote: str | None
    start: int  # the marker's place in the answer
    problem: str | None  # a key of PROBLEM_TEXT, or None when the citation holds
    message: str | None


@dataclass(frozen=True)
class Verdict:
    citations: list[Citation]
    supported: bool  # at least one citation, and every citation holds
    problems: list[str]  # messages, in the answer's language


def check_citations(answer: str, sources: list[Source], language: str = "de") -> Verdict:
    texts = PROBLEM_TEXT.get(language, PROBLEM_TEXT["de"])
    citations = []
    for marker in _MARKER.finditer(answer):
        page = int(marker["page"]) if marker["page"] else None
        quote = _quote_before(answer, marker.start())
        for number in (int(n) for n in re.split(r"\s*[,;]\s*", marker["ids"])):
            problem, details = _problem(number, page, quote, sources)
            message = texts[problem].format(n=number, **details) if problem else None
            citations.append(Citation(number, page, quote, marker.start(), problem, message))
    problems = [c.message for c in citations if c.message]
    if not citations:
        problems = [texts["no_citation"]]
    return Verdict(citations, bool(citations) and not problems, problems)


def _problem(
    number: int, page: int | None, quote: str | None, sources: list[Source]
) -> tuple[str | None, dict[str, object]]:
    if not 1 <= number <= len(sources):
        return "unknown_source", {"count": len(sources)}
    source = sources[number - 1]
    if page is not None and source.page is None:
        return "no_pages", {"page": page}
    if page is not None and page != source.page:
        return "wrong_page", {"page": page, "actual": source.page}
    if quote is not None and normalise(quote) not in normalise(source.text):
        shown = quote if len(quote) <= 80 else quote[:77] + "…"
        return "quote_not_in_source", {"quote": shown}
    return None, {}


def _quote_before(answer: str, end: int) -> str | None:
    """The passage quoted right before a marker (only punctuation between them)."""
    found = _QUOTE_BEFORE.search(answer[max(0, end - _QUOTE_WINDOW) : end])
    if found is None:
        return None
    return next(group for group in found.groups() if group is not None).strip() or None


def normalise(text: str) -> str:
    """Text as compared: NFKC, case folded, one kind of quote, dash and space, no soft
    hyphens, a word hyphenated at a line end joined."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    text = re.sub(r"(\w)-\s*\n\s*([a-zäöüß])", r"\1\2", text)
    text = re.sub(r"[„“”«»‚‘’\"']", "'", text)
    text = re.sub(r"[‐‑‒–—]", "-", text)
    return re.sub(r"\s+", " ", text).strip().casefold()
