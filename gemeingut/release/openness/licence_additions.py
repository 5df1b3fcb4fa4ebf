"""Text a LICENSE file adds to the licence it holds: a rider such as the "Commons Clause"
("… does not grant to you, the right to Sell the Software") appended to the whole Apache-2.0
text makes the file another licence, whose terms are not those of the open licence it names.
Coverage (`licence_reference.py`) asks whether the whole text is there; this asks what else is.

As the SPDX License List's matching guidelines compare texts: case, punctuation, whitespace and
line breaks aside (and the spelling licence/license); the reference's optional and variable
parts (the [[ ]] parts of `licence_texts.yml`: title, copyright line, appendix; placeholders
such as `[yyyy]` or `<year>`) match whatever a copy writes in their place, up to `FILL` words
that state no condition (a holder's name, not "provided it is not used for …"); copyright lines
(a list's or a comment's mark before them, "Portions Copyright (c) …"), the holders' names with
their addresses, "All rights reserved", `SPDX-License-Identifier` lines are notices (where they
hold a year, the sign or an address, and no word of a condition), and a web address is no term,
in the file and in the reference alike (Apache-2.0's notice given above its text holds its
address on a line of its own). The file's words are aligned in order with the reference
(difflib); runs of fewer than `ANCHOR` words that happen to match (a rider's "the License") do
not anchor the alignment. What no part of the reference accounts for is added, where a stretch
holds at least `MIN_WORDS` words (a typo or a changed word is not a term), unless the stretch
is itself part of the reference (a passage given twice) or the whole text of another licence
gemeingut knows (a file with the texts of `MIT AND Apache-2.0`), with nothing added to that
one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import Match, SequenceMatcher
from functools import cache, lru_cache

from gemeingut.data.licence_texts import licence_of_text
from gemeingut.release.openness.licence_reference import (
    IN_ORDER_UP_TO,
    coverage,
    marked_text,
    text_id,
)

MIN_WORDS = 3  # a stretch of added words this long is a term, shorter ones are edits
FILL = 15  # words a copy may write in place of an optional or variable part
ANCHOR = 4  # matches shorter than this are chance, not the text's own wording
QUOTED = 12  # words of the added text quoted
_TOKEN = re.compile(r"[a-z0-9]+(?:-+[a-z0-9]+)*", re.IGNORECASE)
_VARIABLE = re.compile(r"\[\[.*?\]\]|<[^<>\n]{1,80}>|\[[^\[\]\n]{1,80}\]", re.DOTALL)
_MARK = r"^[ \t]*(?:[-*#;]+|//)?[ \t]*"  # a list or comment mark before a notice
_NOTICE_LINE = re.compile(
    _MARK + r"(?:(?:copyright\b|©|\(c\))[^\n]*|all rights reserved\.?|"
    r"spdx-(?:license-identifier|filecopyrighttext):[^\n]*|"
    r"[^\n]*?\bcopyright[ \t]*(?:\(c\)|©|\d{4})[^\n]*|"  # "Portions Copyright (c) 2003 …"
    r"[\w.'’ -]{1,60}<[^<>@\s]+@[^<>\s]+>,?)[ \t]*$",  # a holder's name and address
    re.IGNORECASE | re.MULTILINE,
)
_NOTICE_MARK = re.compile(r"\(c\)|©|\b\d{4}\b|@", re.IGNORECASE)  # a notice's year, sign, address
_URL = re.compile(r"https?://[^\s<>\[\]\"']+", re.IGNORECASE)  # an address is no term
_CONDITION_WORDS = frozenset(
    {"not", "no", "nor", "except", "unless", "only", "never", "must", "shall", "may", "prohibited",
     "forbidden", "provided", "if", "require", "requires", "required", "permit", "permits",
     "permitted", "allow", "allows", "allowed", "restrict", "restricts", "restricted", "prohibit",
     "prohibits", "forbid", "forbids", "exclusively", "solely", "noncommercial", "military",
     "need", "needs", "needed", "fee", "fees", "paid"}
)  # fmt: skip  # a rider's words: "Commercial use requires a paid licence" is no title
_OPENING_MARKS = "\"'„“‘«(["
_NOTICE_WORDS = 20  # a "Copyright …" line longer than this is not a notice


@dataclass(frozen=True)
class Added:
    """What a file holds beyond a licence's text: how many words, and how it begins (None
    where the file is too long to align in order)."""

    words: int
    start: str | None


@lru_cache(maxsize=16)
def added_text(licence: str, text: str) -> Added | None:
    """The text `text` adds to `licence`'s (None where it adds none, or where gemeingut has no
    reference text of `licence`)."""
    reference = _reference(text_id(licence))
    if reference is None:
        return None
    words, variable = reference
    blanked = _URL.sub(_blank, _NOTICE_LINE.sub(_blank_notice, text))
    tokens = [(m.start(), m.end(), _normal(m.group())) for m in _TOKEN.finditer(blanked)]
    if len(tokens) > IN_ORDER_UP_TO * len(words):  # too long to align: counted, not located
        return Added(len(tokens) - len(words), None)
    found = [token[2] for token in tokens]
    matcher = SequenceMatcher(None, words, found, autojunk=False)
    anchors = [b for b in matcher.get_matching_blocks() if b.size >= ANCHOR]
    anchors.append(Match(len(words), len(found), 0))
    joined = f" {' '.join(words)} "
    added: list[tuple[int, int]] = []
    ref_at = file_at = 0
    for block in anchors:
        gap = range(ref_at, block.a)
        run = found[file_at : block.b]
        filled = bool(gap) and all(variable[i] for i in gap) and _a_fill(run)
        if len(run) >= MIN_WORDS and not filled and f" {' '.join(run)} " not in joined:
            added.append((file_at, block.b))
        ref_at, file_at = block.a + block.size, block.b + block.size
    said = [a for span in added if (a := _added_run(licence, text, tokens, span)) is not None]
    if not said:
        return None
    return Added(sum(a.words for a in said), said[0].start)


def _a_fill(run: list[str]) -> bool:
    """Whether `run` can be what a copy writes in place of a variable part (a holder's name, a
    title): short, and without the words that make a condition ("not", "only", "must" …)."""
    return len(run) <= FILL and not _CONDITION_WORDS.intersection(run)


def _added_run(
    licence: str, text: str, tokens: list[tuple[int, int, str]], span: tuple[int, int]
) -> Added | None:
    """A stretch the reference does not account for, as added text; where it is the whole
    text of another licence, what that one's text has added (None: nothing)."""
    first, end = span
    part = text[tokens[first][0] : tokens[end - 1][1]]
    for other in sorted(licence_of_text(part)):
        found = coverage(other, part)
        if text_id(other) != text_id(licence) and found is not None and found.whole:
            return added_text(other, part)
    begin = tokens[first][0]
    while begin > 0 and text[begin - 1] in _OPENING_MARKS:
        begin -= 1
    quoted = " ".join(text[begin : tokens[min(end, first + QUOTED) - 1][1]].split())
    return Added(end - first, quoted + (" …" if end - first > QUOTED else ""))


def _blank_notice(match: re.Match[str]) -> str:
    """A notice line as blanks (the file's offsets stay), or as it is where it is no notice:
    twenty words and more, a word that makes a condition, or "copyright" without a year, a
    sign or an address ("Copyright holders forbid …" is a rider)."""
    line = match.group()
    words = {_normal(w) for w in _TOKEN.findall(line)}
    dated = "copyright" not in words or _NOTICE_MARK.search(line) is not None
    short = len(line.split()) <= _NOTICE_WORDS
    return _blank(match) if short and dated and not _CONDITION_WORDS & words else line


def _blank(match: re.Match[str]) -> str:
    """What `match` holds as blanks: the text's offsets stay."""
    return " " * len(match.group())


@cache
def _reference(key: str) -> tuple[list[str], list[bool]] | None:
    """The reference's words, all parts included, and for each whether it is optional or
    variable."""
    source = marked_text(key)
    if source is None:
        return None
    source = _URL.sub(_blank, source)
    words: list[str] = []
    variable: list[bool] = []
    at = 0
    for part in [*_VARIABLE.finditer(source), None]:
        fixed = source[at : part.start() if part else len(source)]
        fixed_words = [_normal(w) for w in _TOKEN.findall(fixed)]
        words += fixed_words
        variable += [False] * len(fixed_words)
        if part is not None:
            marked = [_normal(w) for w in _TOKEN.findall(part.group())]
            words += marked
            variable += [True] * len(marked)
            at = part.end()
    return words, variable


def _normal(word: str) -> str:
    """A word as the comparison sees it (`licence_reference._words`)."""
    return word.lower().replace("-", "").replace("licence", "license")
