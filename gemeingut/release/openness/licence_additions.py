"""Text a LICENSE file adds to the licence it holds: a rider such as the "Commons Clause"
("… does not grant to you, the right to Sell the Software") appended to the whole Apache-2.0
text makes the file another licence, whose terms are not those of the open licence it names.
Coverage (`licence_reference.py`) asks whether the whole text is there; this asks what else is.

As the SPDX License List's matching guidelines compare texts: case, punctuation, whitespace and
line breaks aside (and the spelling licence/license); the reference's optional and variable
parts (the [[ ]] parts of `licence_texts.yml`: title, copyright line, appendix; placeholders
such as `[yyyy]` or `<year>`) match whatever a copy writes in their place, up to `FILL` words
that state no condition (a holder's name, not "provided it is not used for …"), where the
wording of the alternatives SPDX's templates give for the part is no condition of its own
(BSD-3-Clause's "The name of the author may not be used …" for "Neither the name of …");
copyright lines (a list's or a comment's mark before them, "Portions Copyright (c) …"), the
holders' names with their addresses, "All rights reserved", `SPDX-License-Identifier` lines are
notices (where they hold a year, the sign or an address, and no condition), and a web address
is no term, in the file and in the reference alike (Apache-2.0's notice given above its text
holds its address on a line of its own). The file's words are aligned in order with the
reference (difflib); runs of fewer than `ANCHOR` words that happen to match (a rider's "the
License") do not anchor the alignment.

A stretch of at least `MIN_WORDS` words that no part of the reference accounts for (a typo or a
changed word is not a term) is added text, unless it is itself part of the reference (a passage
given twice) or the whole text of another licence gemeingut knows (a file with the texts of
`MIT AND Apache-2.0`), with nothing added to that one. In place of the licence's own wording it
changes the licence; in place of an optional part, before, between or after the clauses (a
title, a preface such as "This project is licensed under the MIT License, see below", a
project's description) it adds terms where one of its sentences states a condition
(`_condition`), and that sentence is quoted; a grant of rights ("You may change this file",
the Unlicense's "Anyone is free to copy …") states none by granting (`licence_grants.py`), and
a sentence that says more after the grant than the work granted is judged as a whole. A file
that is the whole text of a licence whose text holds this one's and more, with nothing added
(BSD-3-Clause's, for a file taken as BSD-2-Clause), adds nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from difflib import Match, SequenceMatcher
from functools import cache, lru_cache

from gemeingut.data.licence_texts import licence_of_text
from gemeingut.release.openness.licence_grants import (
    ACT,
    PASSIVE_GRANT,
    grant_clause,
    only_the_work,
    without_limits,
)
from gemeingut.release.openness.licence_reference import (
    IN_ORDER_UP_TO,
    coverage,
    known_texts,
    marked_text,
    text_id,
)
from gemeingut.release.openness.text_restrictions import ATTRIBUTION_DUTY, TERMS_CHANGE

MIN_WORDS = 3  # a stretch of added words this long is a term, shorter ones are edits
FILL = 15  # words a copy may write in place of an optional or variable part
ANCHOR = 4  # matches shorter than this are chance, not the text's own wording
QUOTED = 12  # words of a changed wording quoted
SENTENCE = 30  # words of a sentence that states a condition quoted
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
_OPENING_MARKS = "\"'„“‘«(["
_NOTICE_WORDS = 20  # a "Copyright …" line longer than this is not a notice

# What makes a sentence a condition, by kind (whole words; a stem ends in \w*).
_CONDITIONS = re.compile(
    r"\b(?:"
    # a restriction
    r"not|no|nor|neither|never|none|nothing|cannot|can't|only|solely|exclusively|except\w*|"
    r"unless|prohibit\w*|forbid\w*|restrict\w*|limit|limits|limited|limiting|limitation|ban|"
    r"bans|banned|barred|exclud\w*|disallow\w*|reserve[sd]?|non-?commercial\w*|other than|"
    # an obligation, other terms
    r"must|shall|should|requir\w*|oblig\w*|agree\w*|pay|pays|paid|payment\w*|fees?|royalt\w*|"
    r"charges?|registration|registers? (?:with|at|for|on)|notif\w*|"
    r"(?:prior|written|express|explicit|separate) (?:\w+ )?(?:permission|consent|approval)|"
    r"(?:permission|consent|approval) (?:of|from)|conditions?|conditional|subject to|"
    r"provided (?:that|it|they|you|the)|need|needs|needed|ha(?:s|ve) to|(?:is|are) to|"
    r"(?:as|so) long as|on (?:the )?condition|compl(?:y|ies|iance)|adher\w*|in accordance|"
    r"undertak\w*|polic(?:y|ies)|eula|terms of (?:use|service)|code of conduct|"
    r"buy|buys|purchas\w*|subscri\w*|price\w*|invoic\w*|eur|usd|"
    r"report\w* to|sen[dt] to|display\w*|indemnif\w*|"
    r"belongs? to|owned by|property of|retains?|"
    r"govern\w* by|laws? of|jurisdiction\w*|courts?|"
    # a time limit, or a place ("valid in the EU"); a scope of all restricts nothing
    r"until|expir\w*|valid(?! (?:for|in|to|on) (?:all|every|each|any)\b)|temporar\w*|trial|"
    r"deadline|lapse\w*|ends? on|ending on|\d+ (?:days?|weeks?|months?|years?)|"
    # a revocation
    r"revo\w*|terminat\w*|withdraw\w*|cancel\w*|suspen\w*|rescind\w*|amend\w*|any time|"
    r"void|null|invalid"
    r")\b",
    re.IGNORECASE,
)
# A change is a revocation where it is the licensor's power or befalls the licence ("Example
# Corp may change this licence", "the terms change yearly"); a record of what was changed in
# the file ("Changes: updated the copyright year") is none.
_CHANGE = re.compile(r"\b(?:chang\w*|alter|alters|altered|altering|alteration\w*)\b", re.IGNORECASE)
_CHANGED = re.compile(
    r"\b(?:licen[cs]e\w*|terms|grant\w*|conditions?|permissions?|rights?|agreement|may|can|"
    r"could|might|whenever|at (?:its|their) (?:discretion|will))\b",
    re.IGNORECASE,
)
# A sentence that says it is not binding ("A summary follows (not legally binding)") declares
# itself no term: those words are none; a condition beside them is one all the same.
_NOT_BINDING = re.compile(
    r"\b(?:not|no longer) (?:legally |contractually )?binding\b|\bnon-?binding\b|"
    r"\bno legal (?:force|effect)\b",
    re.IGNORECASE,
)
# A field of use; capitalised inside a sentence it is a name ("Shaw Research", "Tennessee
# Research Foundation"), not a field.
_FIELDS = re.compile(
    r"\b(?:commercial\w*|research\w*|academic\w*|military|weapon\w*|surveillance|personal|"
    r"educational|evaluation|internal\w*|purposes?|field of use|government\w*|competitor\w*|"
    r"production|non-?profit|revenue\w*|employees?)\b",
    re.IGNORECASE,
)
_COMPANY = re.compile(r"\b[A-Z][\w&.-]*,? (?:LIMITED|Limited)\b")  # "FUJITSU LIMITED"
# Who receives the licence, what it lets them do, the licence itself: a sentence about these
# that is not a statement of which licence applies may be a condition worded without the words
# above ("Example Corp may alter this licence whenever it likes").
_ACTS = re.compile(
    r"\b(?:you|your|users?|licensees?|recipients?|anyone|whoever|customers?|third parties|"
    # the use a work is meant for ("the intended use of this model is described in its card")
    # describes it; a field of use or a restriction in it is found by the words above
    r"(?<!intended )(?:use of|usage)|redistributions?|resale|sale of|selling|"
    r"grant\w*|terms|rights?|laws?)\b",
    re.IGNORECASE,
)
# A statement of which licence applies ("This project is licensed under the MIT License",
# "dual-licensed … at your option"), a notice's phrase, or where other notices say otherwise
# ("except where noted otherwise"): no condition of its own.
_STATEMENT = re.compile(
    r"\b(?:(?:licen[cs]ed|released|distributed|available|made available|covered|published|"
    r"offered|provided|used|use)(?: [\w-]+){0,3}? (?:under|with)|"
    r"under the (?:terms|conditions)(?: and conditions)? of|terms and conditions|"
    r"under (?:the|either|both|a|an|its|this|these)|at (?:your|the user's|their) "
    r"(?:option|choice)|all rights reserved|(?:reproduced|given|included|found|follows?) "
    r"below|see below|subject to the (?:same )?licen[cs]e|(?:obtain|get|find) (?:a copy|one)|"
    r"subject to the (?:terms|conditions)(?: and (?:terms|conditions))? "
    r"(?:(?:laid|set) out below|below|of (?:the |this |that )?(?:[\w.-]+ ){0,5}?licen[cs]e)|"
    r"(?:except|unless)(?: when| where| as)? (?:otherwise |explicitly |specifically )*"
    r"(?:noted|stated|specified|indicated|marked)(?: otherwise| below)?)\b",
    re.IGNORECASE,
)
# The wording of the alternatives SPDX's templates give for a variable part, where it holds a
# word `_CONDITIONS` knows: BSD-3-Clause's clause 3 ("The name of the author may not be used
# to endorse …", "Neither the names of … nor those of its contributors may …").
_SLOT_WORDING = {
    "neither the name of the copyright holder nor the names of its contributors may": frozenset(
        {"not", "nor", "neither", "none"}
    ),
}
# A request for credit, no condition of the grant ("If you use it in your research, please
# cite our paper", "We kindly ask you to acknowledge …"); a sentence that also states a
# condition ("only", "must") is one all the same.
_REQUEST = re.compile(
    r"\b(?:please|kindly)\s+(?:\w+\s+){0,3}?(?:cite|credit|acknowledge|reference|star)\b",
    re.IGNORECASE,
)
# a full stop ends a sentence, not a company's legal form ("Meta Platforms, Inc. may amend")
_SENTENCE_END = re.compile(
    r"(?<=[.!?;])(?<!\bInc\.)(?<!\bLtd\.)(?<!\bCorp\.)(?<!\bCo\.)\s+|\n[ \t]*\n\s*|"
    r"\n(?=[ \t]*(?:\d+[.)]|[a-z][.)]|•) )"
)


@dataclass(frozen=True)
class Added:
    """What a file holds beyond a licence's text: how many words of added terms (the sentences
    that state a condition, a changed wording), and the first of them, quoted (None where the
    file is too long to align in order: then `words` counts all it holds beyond the text)."""

    words: int
    start: str | None


@lru_cache(maxsize=16)
def added_text(licence: str, text: str) -> Added | None:
    """The text `text` adds to `licence`'s (None where it adds none, or where gemeingut has no
    reference text of `licence`)."""
    return _added(licence, text, ())


def _added(licence: str, text: str, given: tuple[str, ...]) -> Added | None:
    """What `text` adds to `licence`'s text (`added_text`), where a passage of the licences
    `given` (the file's other texts, around this one) is no addition either."""
    added = _added_to(licence, text, given)
    if added is None:
        return None
    for wider in _wider(text_id(licence)):
        found = coverage(wider, text)
        if found is not None and found.whole and _added_to(wider, text, given) is None:
            return None
    return added


def _added_to(licence: str, text: str, given: tuple[str, ...]) -> Added | None:
    """What `text` adds to `licence`'s text alone (`_added`)."""
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
    said: list[Added] = []
    ref_at = file_at = 0
    for block in anchors:
        gap = range(ref_at, block.a)
        run = found[file_at : block.b]
        if len(run) >= MIN_WORDS and f" {' '.join(run)} " not in joined:
            changed = any(not variable[i] for i in gap)
            excused = _excused(" ".join(words[i] for i in gap))
            written = text[tokens[file_at][0] : tokens[block.b - 1][1]] if run else ""
            if changed or not _a_fill(written, excused):
                span = (file_at, block.b)
                excusing = None if changed else excused
                added = _added_run((licence, *given), text, tokens, span, excusing)
                if added is not None:
                    said.append(added)
        ref_at, file_at = block.a + block.size, block.b + block.size
    if not said:
        return None
    return Added(sum(a.words for a in said), said[0].start)


def _excused(slot: str) -> frozenset[str]:
    """The words that SPDX's alternatives for the optional or variable part `slot` (its
    words, or some of them) hold and that would otherwise make a condition."""
    slot = " ".join(w for w in slot.split() if not w.isdigit())  # the clause's number aside
    parts = [w for part, w in _SLOT_WORDING.items() if slot and (part in slot or slot in part)]
    return frozenset().union(*parts)


def _a_fill(written: str, excused: frozenset[str]) -> bool:
    """Whether `written` can be what a copy writes in place of an optional or variable part:
    short, and none of its sentences states a condition beyond the `excused` words of the
    part's alternatives (a statement of which licence applies does not excuse the sentence
    after it: "Licensed under MIT. This licence is granted to natural persons.")."""
    return len(_TOKEN.findall(written)) <= FILL and not any(
        _condition(written[a:b], excused) for a, b in _sentences(written, 0, len(written))
    )


def _added_run(
    licences: tuple[str, ...],
    text: str,
    tokens: list[tuple[int, int, str]],
    span: tuple[int, int],
    excused: frozenset[str] | None,
) -> Added | None:
    """A stretch the reference of the first of `licences` does not account for, as added
    text: where it is the whole text of another licence, what that one's text has added (the
    passages of `licences` given again aside); else its first sentence that states a condition
    beyond the `excused` words of the part it stands in; where it takes the place of the
    licence's wording (`excused` None), without a condition, its beginning (None: nothing
    added, or no condition)."""
    first, end = span
    begin, last = tokens[first][0], tokens[end - 1][1]
    part = text[begin:last]
    keys = {text_id(key) for key in licences}
    for other in sorted(licence_of_text(part)):
        found = coverage(other, part)
        if text_id(other) not in keys and found is not None and found.whole:
            return _added(other, part, licences)
    sentences = [
        (a, b) for a, b in _sentences(text, begin, last) if not _given_again(text[a:b], licences)
    ]
    conditions = [(a, b) for a, b in sentences if _condition(text[a:b], excused or frozenset())]
    if not conditions and excused is None and sentences:
        quoted_end = tokens[min(end, first + QUOTED) - 1][1]
        return Added(end - first, _quote(text, begin, quoted_end, end - first > QUOTED))
    if not conditions:
        return None
    counted = sum(len(_TOKEN.findall(text[a:b])) for a, b in conditions)
    start, stop = conditions[0]
    words = list(_TOKEN.finditer(text, start, stop))
    cut = words[min(len(words), SENTENCE) - 1].end()
    return Added(counted, _quote(text, start, cut, len(words) > SENTENCE))


def _sentences(text: str, begin: int, end: int) -> list[tuple[int, int]]:
    """The sentences of `text[begin:end]` as offsets in `text`: ended by a full stop, a
    question or exclamation mark, a semicolon, an empty line or a list's next item."""
    found: list[tuple[int, int]] = []
    at = begin
    for match in [*_SENTENCE_END.finditer(text, begin, end), None]:
        stop = match.start() if match else end
        if _TOKEN.search(text, at, stop):
            found.append((at, stop))
        at = match.end() if match else end
    return found


def _condition(sentence: str, excused: frozenset[str] = frozenset()) -> bool:
    """Whether `sentence` states a condition: a restriction ("not", "only", "except"), an
    obligation ("must", "requires", "pay"), a field of use ("commercial", "research",
    "military"), a time limit ("until", "expires", "30 days"), a revocation ("revoke",
    "terminate"); or speaks of the recipient or what the licence lets them do (use, copy,
    distribute, sell …) without being a statement of which licence applies. A notice (a
    copyright line, "All rights reserved", a holder's address) is none."""
    unmarked = _URL.sub(" ", _NOTICE_LINE.sub(_blank_notice, sentence))
    return _states(" ".join(w for w in unmarked.split() if _normal(w.strip(".,;:")) not in excused))


def _states(plain: str) -> bool:
    """Whether `plain` (notices and addresses left out) states a condition (`_condition`).
    A grant ("You may change this file", `licence_grants`) states none; a sentence that says
    more after the grant's opening is judged as a whole. A duty to credit the licensor where
    the model is shown, or the licensor's right to change the terms, is one however worded
    ("with attribution … on every page" reads as a statement of use "with" a licence); a
    request to credit ("Please credit the authors in any publications") stays a request."""
    stated = without_limits(_STATEMENT.sub(" ", _COMPANY.sub(" ", _NOT_BINDING.sub(" ", plain))))
    rest = _after_grant(stated)
    if rest is not None and only_the_work(rest) and not _limits(rest):
        return False
    if _CONDITIONS.search(stated) or (_CHANGE.search(stated) and _CHANGED.search(stated)):
        return True
    if _REQUEST.search(plain):  # where the credit is asked ("in your research"), no field
        return False
    if ATTRIBUTION_DUTY.search(plain) or TERMS_CHANGE.search(plain):  # English and German
        return True
    if any(_a_field(m) for m in _FIELDS.finditer(stated)):
        return True
    return _ACTS.search(plain) is not None and _STATEMENT.search(plain) is None


def _limits(words: str) -> bool:
    """Whether `words` hold a restriction, an obligation or a field of use."""
    return bool(_CONDITIONS.search(words)) or any(_a_field(m) for m in _FIELDS.finditer(words))


def _after_grant(stated: str) -> str | None:
    """What `stated` says after the grant of rights it opens with (None: it opens with none).
    An opening that holds a condition of its own beside the acts granted ("The licensor only
    hereby grants …") is no grant."""
    clause = grant_clause(stated.lstrip(" ,;:"))
    if clause is None:
        return None
    if _limits(ACT.sub(" ", clause.group())):
        return None
    return PASSIVE_GRANT.sub(" ", stated.lstrip(" ,;:")[clause.end() :])


def _a_field(match: re.Match[str]) -> bool:
    """Whether a field-of-use word is one, not part of a name: in lower case, in capitals, or
    where it opens the sentence."""
    word = match.group()
    return word.islower() or word.isupper() or not match.string[: match.start()].strip()


def _given_again(sentence: str, licences: tuple[str, ...]) -> bool:
    """Whether `sentence` is a passage of the texts of `licences`, given again (Apache-2.0's
    notice beside its text), or holds no word but a web address or a notice's."""
    blanked = _URL.sub(" ", _NOTICE_LINE.sub(_blank_notice, sentence))
    words = f" {' '.join(_normal(w) for w in _TOKEN.findall(blanked))} "
    return not words.strip() or any(words in _joined(text_id(key)) for key in licences)


@cache
def _joined(key: str) -> str:
    """The reference's words as one string, with a space at each end."""
    reference = _reference(key)
    return f" {' '.join(reference[0])} " if reference else " "


def _quote(text: str, begin: int, end: int, cut: bool) -> str:
    """`text[begin:end]` on one line, with the quotation mark or bracket it opens with, and
    "…" where it was cut."""
    while begin > 0 and text[begin - 1] in _OPENING_MARKS:
        begin -= 1
    return " ".join(text[begin:end].split()) + (" …" if cut else "")


def _blank_notice(match: re.Match[str]) -> str:
    """A notice line as blanks (the file's offsets stay), or as it is where it is no notice:
    twenty words and more, a condition, or "copyright" without a year, a sign or an address
    ("Copyright holders forbid …" is a rider)."""
    line = match.group()
    words = {_normal(w) for w in _TOKEN.findall(line)}
    dated = "copyright" not in words or _NOTICE_MARK.search(line) is not None
    short = len(line.split()) <= _NOTICE_WORDS
    return _blank(match) if short and dated and not _states(line) else line


def _blank(match: re.Match[str]) -> str:
    """What `match` holds as blanks: the text's offsets stay."""
    return " " * len(match.group())


@cache
def _wider(key: str) -> tuple[str, ...]:
    """The licences whose text holds the whole of `key`'s and more (BSD-3-Clause for
    BSD-2-Clause): a file with one of them whole is that licence, not `key`'s with a rider."""
    own = _reference(key)
    if own is None:
        return ()
    needed = Counter(own[0])
    wider = []
    for other in known_texts():
        theirs = _reference(other)
        if other == key or theirs is None or len(theirs[0]) <= len(own[0]):
            continue
        if len(theirs[0]) > 2 * len(own[0]) or needed - Counter(theirs[0]):
            continue  # much longer, or lacking words of `key`'s: cannot be its text and more
        found = coverage(key, marked_text(other) or "")
        if found is not None and found.whole:
            wider.append(other)
    return tuple(wider)


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
