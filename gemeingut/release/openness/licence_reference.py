"""How much of a licence's whole text a LICENSE file holds: its opening words name the licence
(`data/licence_texts.py`), but a file that stops after them does not give recipients the terms
(Apache-2.0 § 4(a), MIT, BSD, GPL: the text must go with the work).

The file's words are compared with the licence's reference text (`licence_texts.yml`) in
order, case, punctuation, line breaks and spelling (licence/license) aside; the parts of the
reference that a faithful copy may leave out or word otherwise (titles, copyright lines,
holders' names, the appendix) count for nothing, and words the file adds (its own copyright
line, a note) do not count against it here: whether they add terms is asked apart
(`licence_additions.py`). A file that lacks more than `TOLERANCE` of the reference's words is
not the licence text. A file over `IN_ORDER_UP_TO` times the reference's
length is compared by word counts alone (in-order matching of it could take minutes).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from importlib.resources import files

import yaml

TOLERANCE = 0.01  # of the reference's words a copy may lack (a typo, a dropped word)
IN_ORDER_UP_TO = 20  # times the reference's words: a longer file is compared by word counts
_OPTIONAL = re.compile(r"\[\[.*?\]\]", re.DOTALL)
_OPENING = re.compile(r"\s*\[\[(.*?)\]\]", re.DOTALL)  # a text's optional first part: its title
_PLACEHOLDER_LINE = re.compile(r"^.*<year>.*$\n?", re.IGNORECASE | re.MULTILINE)
_WORD = re.compile(r"[a-z0-9]+")
# SPDX ids that share one text ("GPL-3.0-only" and "GPL-3.0-or-later" differ in the notice,
# not in the licence text).
_SUFFIX = re.compile(r"-(only|or-later)$|\+$", re.IGNORECASE)


@dataclass(frozen=True)
class Coverage:
    """How much of the licence's required words a file holds."""

    words: int  # the reference's required words
    missing: int  # of them, not found in the file in order

    @property
    def whole(self) -> bool:
        return self.missing <= max(2, int(self.words * TOLERANCE))

    @property
    def share(self) -> float:
        return 1 - self.missing / self.words


def coverage(licence: str, text: str) -> Coverage | None:
    """How much of `licence`'s text `text` holds; None where no reference text is known."""
    reference = _references().get(text_id(licence))
    if reference is None:
        return None
    found = _words(text)
    if len(found) > IN_ORDER_UP_TO * len(reference):
        # In-order matching grows with the file's length times how often its words repeat (a
        # word written 200,000 times took minutes): a file many times the reference's length
        # (the licence among third-party texts) is judged by word counts, regardless of order.
        counts = Counter(found)
        unordered = sum(min(n, counts[word]) for word, n in Counter(reference).items())
        return Coverage(words=len(reference), missing=len(reference) - unordered)
    matcher = SequenceMatcher(None, reference, found, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return Coverage(words=len(reference), missing=len(reference) - matched)


def text_id(licence: str) -> str:
    """The key of `licence`'s text: "GPL-3.0-only" and "GPL-3.0-or-later" share one."""
    return _SUFFIX.sub("", licence.strip())


def reference_text(licence: str, holders: str = "", year: int | None = None) -> str | None:
    """`licence`'s whole text as a LICENSE file gives it, verbatim (None where gemeingut has
    none): the parts a copy may leave out are kept, but for a copyright line with placeholders
    in the opening (MIT's `Copyright (c) <year> <copyright holders>`), a form to fill in, not
    a notice: it names `holders` where they are given, with `year` where one is known (see
    `weights_licence_text.py` for where it comes from), else it is left out."""
    source = _sources().get(text_id(licence))
    if source is None:
        return None
    opening = _OPENING.match(source)
    if opening is not None:
        notice = ""
        if holders:
            notice = f"Copyright (c) {year} {holders}\n" if year else f"Copyright (c) {holders}\n"
        title = _PLACEHOLDER_LINE.sub(notice, opening.group(1)).strip("\n").rstrip()
        rest = source[opening.end() :].lstrip("\n")
        source = f"{title}\n\n{rest}" if title else rest
    return source.replace("[[", "").replace("]]", "").strip("\n").rstrip() + "\n"


def has_copyright_form(licence: str) -> bool:
    """Whether `licence`'s text opens with a copyright line to fill in (MIT, BSD, ISC)."""
    opening = _OPENING.match(_sources().get(text_id(licence), ""))
    return opening is not None and _PLACEHOLDER_LINE.search(opening.group(1)) is not None


def marked_text(licence: str) -> str | None:
    """`licence`'s text as `licence_texts.yml` holds it, its [[ ]] marks kept (None where
    gemeingut has none): what a copy may leave out or word otherwise is marked."""
    return _sources().get(text_id(licence))


def known_texts() -> list[str]:
    """The licences gemeingut has the whole text of."""
    return list(_sources())


@cache
def _sources() -> dict[str, str]:
    """Each licence's text as `licence_texts.yml` holds it, [[ ]] marks and all."""
    source = (files("gemeingut.release.openness") / "licence_texts.yml").read_text("utf-8")
    # libyaml reads the 300 kB in milliseconds; the pure-Python loader takes a tenth of a second
    return dict(yaml.load(source, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


@cache
def _references() -> dict[str, list[str]]:
    """Each licence's required words: its text without the [[ ]] parts."""
    return {key: _words(_OPTIONAL.sub(" ", text)) for key, text in _sources().items()}


def _words(text: str) -> list[str]:
    """The words of a text, as the comparison sees them: lower case, without punctuation, the
    British spelling of "licence" as the American (the texts use either)."""
    return [
        word.replace("licence", "license") for word in _WORD.findall(text.lower().replace("-", ""))
    ]
