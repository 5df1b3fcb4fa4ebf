"""Use restrictions read from a licence's own text, for terms gemeingut does not know by name
(`license: other`, a LICENSE file it does not recognise): a cap on users ("more than 700
million monthly active users … must request a license"), a use policy every use is bound to
(an "Acceptable Use Policy"), a ban on using the model or its outputs to improve other models,
a list of forbidden uses or fields of use, a name every derivative must carry, a credit to the
licensor wherever the model is used or shown ("on every page"), the licensor's right to change
the terms later ("Licensor may update this Agreement"). Each denies some users or uses the
grant (Open Source Definition § 5, § 6; Open Definition 2.1.1, 2.1.8, 2.1.9), so terms that hold
one are not open, whatever they are called; `use_restrictions.py` names them for
the licences known by their id. Each clause found is quoted from the text, so that a reader
sees the words, not a guess."""

from __future__ import annotations

import re

from gemeingut.i18n import Message, _
from gemeingut.release.openness.sentences import joined

_QUOTED = 18  # words of a clause quoted
_BEFORE = 4  # words quoted before the words that state it
# a full stop ends a sentence, not a company's legal form ("Meta Platforms, Inc. may amend")
_SENTENCE = re.compile(
    r"(?<=[.!?])(?<!\bInc\.)(?<!\bLtd\.)(?<!\bCorp\.)(?<!\bCo\.)\s+|\n\s*\n|"
    r"\n(?=\s*(?:\d+\.|[a-z]{1,4}[.)]|[-*•])\s)"
)

# Words that deny what follows them: "shall not be used in any advertising" (a ban on
# endorsement), „kann nicht geändert werden“ state neither a duty nor a right to change.
_UNDENIED = r"(?:(?!\b(?:not|never|nicht|nie|niemals|kein\w*)\b)[^.;])"
_CHANGE_EN = r"(?:update|change|modify|amend|revise|replace|alter|supplement)"
_CHANGE_DE = r"(?:ändern|abändern|anpassen|aktualisieren|ergänzen|ersetzen)"
_TERMS = (
    r"(?:licen[cs]e|agreement|terms|conditions|polic(?:y|ies)|Bedingungen|Lizenz\w*|"
    r"Vereinbarung|Richtlinie\w*|Nutzungsbedingungen)"
)
# Who may change the terms: the licensor by its role ("Licensor", „der Lizenzgeber“, "we"), a
# company by its legal form ("Example Corp", „die Example GmbH“), or a name without an article
# opening the clause ("Google may update Gemma", "Meta may update the Acceptable Use Policy").
# A role given to anyone ("Each Contributor", "Any Person", „Jede Person“, „Dritte“) or a
# licence's steward ("The OpenLDAP Foundation") is no licensor.
_COMPANY = (
    r"(?-i:[A-Z][\w&-]*)(?:\s+(?-i:[A-Z][\w&-]*)){0,3},?\s+(?:LLC|Inc\.?|Ltd\.?|Limited|"
    r"Corp\.?|Corporation|GmbH|gGmbH|AG|SE|e\.\s?V\.|S\.A\.|B\.V\.)"
)
_ROLE_EN = r"(?:(?:the\s+)?(?:licensors?|company|provider)|we|(?:the\s+)?" + _COMPANY + ")"
_ROLE_DE = (
    r"(?:(?:der|die|das)\s+)?(?:Lizenzgeber\w*|Rechteinhaber\w*|Anbieter\w*|Herausgeber\w*|"
    r"Unternehmen|wir|" + _COMPANY + ")"
)
_CLAUSE_START = r"(?:^(?:\(?[\da-z]{1,4}[.)]\s+)?|(?<=, )|(?<=: )|(?<=\band )|(?<=\bbut ))"
_NAME = (
    r"(?!(?i:you|they|it|this|that|these|those|he|she|who|which|each|any|every|all|no|"
    r"software|models?|works?|materials?|programs?|code|data|users?|licensees?|recipients?|"
    r"contributors?|persons?|parties|distributors?|stewards?)\b)(?-i:[A-Z][\w&-]*)"
)
# Later versions of a licence ("may publish revised versions of the License", EUPL-1.2's
# "update this Appendix to later versions of the above licences") or of later releases ("PSF may
# update the license in future releases") change no terms granted for this one.
_VERSIONS = (
    r"(?![^.;]{0,80}\b(?:(?:later|new|newer|revised)\s+versions?\s+of\s+(?:the\s+|this\s+|"
    r"these\s+)?(?:above\s+)?licen[cs]es?\b|(?:future|later|new)\s+(?:releases?|versions?)\b))"
)
# The licensor keeps the right to change the terms (or the model they bind) later: Gemma's
# "Google may update Gemma from time to time", "Licensor may update this Agreement", „Der
# Lizenzgeber kann diese Bedingungen jederzeit ändern“. A grant that can change is no grant
# of fixed terms (a licence is irrevocable: Open Definition 2.1.1).
TERMS_CHANGE = re.compile(
    rf"(?:\b{_ROLE_EN}|{_CLAUSE_START}{_NAME})\s+(?:may|can|will|shall)\s+"
    rf"(?:(?:at\s+any\s+time|from\s+time\s+to\s+time|also|unilaterally)\s+)?"
    rf"{_CHANGE_EN}\b(?!\s*[.;:,]|$){_VERSIONS}|"
    rf"\breserves?\s+the\s+right\s+to\s+(?:\w+\s+){{0,2}}?{_CHANGE_EN}\b{_VERSIONS}|"
    rf"\b{_TERMS}\s+(?:may|can|will|are|is)\s+(?:be\s+)?(?:subject\s+to\s+change|"
    rf"(?:{_CHANGE_EN}d|amended|modified|altered|supplemented)\b)|"
    # German: the licensor, or the terms as the object, and a verb of change, not denied
    rf"\b{_ROLE_DE}\s+(?:kann|können|darf|dürfen|wird|werden|behält|behalten)\b"
    rf"{_UNDENIED}{{0,80}}?\b(?:{_TERMS}|jederzeit|einseitig|von\s+Zeit\s+zu\s+Zeit)\b"
    rf"{_UNDENIED}{{0,80}}?\b(?:zu\s+)?{_CHANGE_DE}\b|"
    rf"\b{_TERMS}\s+(?:kann|können|darf|dürfen|werden|wird)\s+{_UNDENIED}{{0,60}}?"
    r"\b(?:geändert|angepasst|aktualisiert|ergänzt|ersetzt)\b|\bÄnderungen\s+vorbehalten\b",
    re.IGNORECASE,
)
# Credit the licensor where the model is used or shown, beyond the notice every copy carries
# (MIT's "included in all copies", Apache-2.0's NOTICE, CC BY's "appropriate credit", AFL's
# "Attribution Notice" in the source): a duty ("must", "shall", „muss“, „ist … zu nennen“, a
# grant "with attribution"), a credit and a place where the model is used or shown, in one
# clause and not denied: "must display the Licensor logo on all pages", „Namensnennung auf
# jeder Seite“. A request ("Please credit the authors in any publications") is no duty.
_DUTY = (
    r"(?:must|shall|(?:is|are)\s+required\s+to|muss|müssen|verpflichtet|zu(?=\s+nennen\b)|"
    r"with(?=\s+(?:an?\s+|the\s+|full\s+|proper\s+)?(?:attribut|credit|acknowledg)))"
)
_CREDIT = (
    r"(?:attribut\w*|credit\w*|acknowledg\w*|logo|the\s+name\s+of|Namensnennung|Nennung|"
    r"nennen|Quellenangabe|Urheberangabe|Urhebervermerk)"
)
_PLACE = (
    r"(?:(?:(?:on|in|at|within|under)\s+(?:every|each|all|any)|(?:auf|in|bei|unter)\s+"
    r"(?:jede[mnrs]?|alle[mn]?|sämtliche[mn]?))\s+(?:[\w-]+\s+){0,2}?(?:pages?|web\s*pages?|"
    r"websites?|sites?|screens?|(?:user\s+)?interfaces?|UIs?|outputs?|responses?|answers?|"
    r"images?|videos?|publications?|advertis\w*|marketing\w*|promotion\w*|posts?|articles?|"
    r"Seite\w*|Webseite\w*|Internetseite\w*|Website\w*|Bildschirm\w*|Oberfläche\w*|"
    r"Benutzeroberfläche\w*|Ausgabe\w*|Antwort\w*|Bild\w*|Veröffentlichung\w*|Werbe\w*|"
    r"Publikation\w*|Beitr(?:ag|äge)\w*|Artikel\w*)|(?:prominently|conspicuously)\s+"
    r"(?:display|show)|(?:deutlich|gut)\s+sichtbar)\b"
)
_GAP = rf"{_UNDENIED}{{0,120}}?"
ATTRIBUTION_DUTY = re.compile(
    rf"\b{_DUTY}\b{_GAP}\b{_CREDIT}\b{_GAP}\b{_PLACE}|\b{_DUTY}\b{_GAP}\b{_PLACE}{_GAP}\b"
    rf"{_CREDIT}\b|\b{_CREDIT}\b{_GAP}\b{_DUTY}\b{_GAP}\b{_PLACE}|\b{_PLACE}{_GAP}\b{_DUTY}\b"
    rf"{_GAP}\b{_CREDIT}\b",
    re.IGNORECASE,
)

# Outputs used to improve other models: a restriction only where the sentence denies it ("You
# will not use … any output … to improve any other large language model", „dürfen nicht …
# verwendet werden, um andere Modelle zu trainieren“); "You may use the outputs to train other
# models" grants that freedom.
_IMPROVE = r"\b(?:improve|train|develop|enhance|verbessern|trainieren|entwickeln)\b"
_OTHER_MODELS = (
    r"\b(?:other|another|competing|third[- ]party|andere\w*)\b[^.;]{0,40}?"
    r"\b(?:models?|LLMs?|Modelle?|Sprachmodell\w*)\b"
)
# the verb before the models ("to improve any other model") or, in German, after them („um
# andere Modelle zu trainieren“)
_OUTPUTS_FOR_OTHER_MODELS = re.compile(
    rf"\b(?:outputs?|results?|Ausgaben|Ergebnisse)\b[^.;]{{0,120}}?(?:{_IMPROVE}[^.;]{{0,80}}?"
    rf"{_OTHER_MODELS}|{_OTHER_MODELS}[^.;]{{0,20}}?{_IMPROVE})",
    re.IGNORECASE,
)
# a denial: "will not", "agree not to", "is not permitted" ("commercially or not" denies nothing)
_DENIED = re.compile(
    r"\b(?:(?:may|must|shall|will|can|could|should|do|does|is|are|agrees?)\s+not|cannot|never|"
    r"nor|prohibit\w*|forbid\w*|nicht|nie|niemals|kein\w*|untersag\w*|verbot\w*)\b",
    re.IGNORECASE,
)

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
            r"\buse\s+polic(?:y|ies)\b|\bNutzungsrichtlinie\w*",
            re.IGNORECASE,
        ),
        _("every use is bound by a use policy"),
    ),
    (
        _OUTPUTS_FOR_OTHER_MODELS,
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
    (
        ATTRIBUTION_DUTY,
        _(
            "the licensor must be credited where the model is used or shown, beyond the notice "
            "in copies"
        ),
    ),
    (TERMS_CHANGE, _("the licensor may change the terms or the model later")),
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
    if pattern is _OUTPUTS_FOR_OTHER_MODELS and _DENIED.search(sentence) is None:
        return None  # a ban only where the sentence denies the use
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
