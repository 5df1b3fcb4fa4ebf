"""Use restrictions read from a licence's own text, for terms gemeingut does not know by name
(`license: other`, a LICENSE file it does not recognise): a cap on users ("more than 700
million monthly active users … must request a license"), a use policy every use is bound to
(an "Acceptable Use Policy"), a ban on using the model or its outputs to improve other models,
a list of forbidden uses or fields of use, a name every derivative must carry. Each denies some
users or uses the grant (Open Source Definition § 5, § 6; Open Definition 2.1.8, 2.1.9), so
terms that hold one are not open, whatever they are called; `use_restrictions.py` names them for
the licences known by their id. Each clause found is quoted from the text, so that a reader
sees the words, not a guess."""

from __future__ import annotations

import re

from gemeingut.i18n import Message, _
from gemeingut.release.openness.sentences import joined

_QUOTED = 18  # words of a clause quoted
_BEFORE = 4  # words quoted before the words that state it
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n\s*\n|\n(?=\s*(?:\d+\.|[a-z]{1,4}[.)]|[-*•])\s)")

_CLAUSES: tuple[tuple[re.Pattern[str], Message], ...] = (
    (
        re.compile(
            r"\b(?:\d[\d,.]*\s*(?:million|billion|Millionen|Milliarden)?\s+)?"
            r"(?:monthly|daily|weekly|annual|yearly)\s+active\s+users\b|"
            r"\bmonatlich\w*\s+aktive\w*\s+(?:Nutzer|Benutzer)",
            re.IGNORECASE,
        ),
        _("licensees above a number of active users are denied the grant"),
    ),
    (
        re.compile(
            r"\b(?:acceptable|prohibited|permitted)\s+use\s+polic(?:y|ies)\b|"
            r"\buse\s+polic(?:y|ies)\b|\bNutzungsrichtlinie\w*|\bNutzungsbedingungen\b",
            re.IGNORECASE,
        ),
        _("every use is bound by a use policy"),
    ),
    (
        re.compile(
            r"\b(?:outputs?|results?|Ausgaben|Ergebnisse)\b[^.;]{0,120}?"
            r"\b(?:improve|train|develop|enhance|verbessern|trainieren|entwickeln)\b[^.;]{0,80}?"
            r"\b(?:other|another|competing|third[- ]party|andere\w*)\b[^.;]{0,40}?"
            r"\b(?:models?|LLMs?|Modelle?|Sprachmodell\w*)\b",
            re.IGNORECASE,
        ),
        _("the model and its outputs may not be used to improve other models"),
    ),
    (
        re.compile(
            r"\b(?:use[- ]based\s+restrictions|restricted\s+uses|Attachment\s+A|"
            r"(?:will|shall|may|must)\s+not\s+use\b[^.]{0,300}?\b(?:military|weapons?|warfare|"
            r"surveillance|law\s+enforcement|medical|nuclear|espionage)|"
            r"research\s+(?:purposes\s+)?only|non-?commercial\s+(?:use|purposes)\s+only|"
            r"ausschlie(?:ß|ss)lich\s+(?:für\s+)?(?:Forschung|nicht-?kommerziell\w*))",
            re.IGNORECASE,
        ),
        _("uses or fields of use are forbidden"),
    ),
    (
        re.compile(
            r"\bBuilt\s+with\b|\bmust\s+(?:be\s+named|include\s+[^.;]{0,40}\s+at\s+the\s+"
            r"beginning\s+of\s+(?:any\s+)?(?:such\s+)?(?:AI\s+)?model\s+name)",
            re.IGNORECASE,
        ),
        _("derivatives must carry the licensor's name"),
    ),
)


def text_restrictions(content: str, quoted: bool = True) -> list[Message]:
    """The use restrictions `content` (a licence's text) states, each with its clause quoted
    (`quoted`); empty where it states none we know to look for."""
    sentences = [s for s in _SENTENCE.split(content) if s.strip()]
    found: list[Message] = []
    for pattern, restriction in _CLAUSES:
        clause = next((_quoted(m) for s in sentences if (m := _match(pattern, s))), None)
        if clause is not None and not quoted:
            found.append(restriction)
        elif clause is not None:
            found.append(_("{restriction} ({clause!r})", restriction=restriction, clause=clause))
    return found


def restricted_said(file: str, restrictions: list[Message]) -> Message:
    """Why the terms in `file` are not open: the restrictions its text states."""
    return _(
        "{file} restricts use, so its terms are not open: {restrictions}",
        file=file,
        restrictions=joined(restrictions),
    )


def _match(pattern: re.Pattern[str], sentence: str) -> re.Match[str] | None:
    """Where `pattern` matches `sentence` (its whitespace as one space), a match that states a
    number first ("700 million monthly active users"): the number is the clause's point."""
    found = list(pattern.finditer(" ".join(sentence.split())))
    return next((m for m in found if m.group(0)[0].isdigit()), found[0] if found else None)


def _quoted(match: re.Match[str]) -> str:
    """The words of the sentence around `match`: a few before it, the clause, up to
    `_QUOTED` words in all."""
    sentence = match.string
    before = sentence[: match.start()].split()[-_BEFORE:]
    words = [*before, *sentence[match.start() :].split()]
    cut_before = len(before) < len(sentence[: match.start()].split())
    shown = " ".join(words[:_QUOTED]) + (" …" if len(words) > _QUOTED else "")
    return ("… " if cut_before else "") + shown
