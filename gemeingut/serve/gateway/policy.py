"""The published safety policy: what the server filters, and why, readable by every user.

A filter reflects values, so they are made visible: the policy is a versioned YAML file of
rules, each with an id, a German and an English text, and what it looks for (keywords, a regular
expression, personal data found with the curate stage's detectors, or labels of a local
text-classification model, `classifier.py`). `GET /v1/policy` serves it whole, patterns
included, with the file's SHA-256 and each classifier's labels and SHA-256, so anyone can tell
which version applied.
A rule either refuses the request (a 400 naming the rule) or redacts what it found before the
model sees it; both decisions go into the audit log with the rule's id.

Every rule also reads the text as a person sees it: compatibility forms folded (ＢＯＭＢＥ,
anna＠example.org) and invisible characters left out (zero-width space, soft hyphen, variation
selectors: Unicode's format and default-ignorable characters). A redaction found in that
reading replaces the characters it came from, disguise and all. Refusing rules read look-alikes
of Latin letters as those letters too, after Unicode's own table of confusable characters
(UTS #39 `confusables.txt`, as the `confusable_homoglyphs` package ships it); what is not
folded is published as the policy's known limits (`READING`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gemeingut.data.pii import PII_TYPES, PLACEHOLDERS, Span, find_spans
from gemeingut.errors import InputError
from gemeingut.i18n import LANGUAGES, Message, _
from gemeingut.regex_problems import regex_problem
from gemeingut.serve.gateway.caseless import LowerCasePattern, compile_caseless, lower_case
from gemeingut.serve.gateway.classifier import TextClassifier
from gemeingut.yamlfile import compose, syntax_problem, where_wrong

DEFAULT_POLICY = Path(__file__).with_name("default_policy.yaml")
# Unicode's format characters (Cf) and default-ignorable code points: nothing a reader sees.
INVISIBLE = re.compile(
    "[\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160"
    "\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164"
    "\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# Ordinary text: a pattern that matches zero characters in it matches (nearly) every text.
PLAIN_TEXT = "Guten Tag, wie geht es?"
# A keyword phrase's space: any run of white space, hyphens, dashes or underscores.
GAP = r"[\s_\-\u2010-\u2015\u2212]+"
# The fields every rule has, and those of each kind alone (a field of another kind is refused).
RULE_FIELDS = ("id", "kind", "action", "title", "text")
KIND_FIELDS = {
    "pii": ("types",),
    "keywords": ("words",),
    "regex": ("pattern", "case_sensitive"),
    "classifier": ("model", "labels", "threshold"),
}
READING = _(
    "Every rule also reads the text with compatibility forms folded (full width such as "
    "ＢＯＭＢＥ) and without invisible characters (zero-width space, soft hyphen, variation "
    "selectors); a space in a keyword also stands for a hyphen or underscore (build-a-bomb); "
    "refusing rules read the look-alikes of Latin letters in Unicode's table of confusable "
    "characters (UTS #39: Cyrillic о, Greek α, Cherokee Ꮇ) as those. Known limits: "
    "characters that Unicode does not list as confusable with a letter, digits for letters "
    "(b0mb), letters with added accents (bómb) and paraphrases are not recognised."
)


class Texts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    de: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,60}$")
    kind: Literal["keywords", "regex", "pii", "classifier"]
    action: Literal["refuse", "redact"]
    # the rule's name as a person reads it (the page's heading for it); a file without one
    # still loads, and the page names the rule by its id
    title: Texts | None = None
    text: Texts
    words: list[str] | None = None  # keywords: matched case-insensitively as whole words
    pattern: str | None = None  # regex (Python syntax)
    case_sensitive: bool | None = None  # regex: False (the default) ignores case
    types: list[str] | None = None  # pii: which detectors (default: all)
    model: str | None = None  # classifier: its folder (relative to the policy file's)
    labels: list[str] | None = None  # classifier: the labels that make the rule apply
    threshold: float | None = Field(default=None, gt=0, le=1)  # classifier: 0.5 unless given

    @model_validator(mode="after")
    def _fits_kind(self) -> Rule:
        needs = {"keywords": "words", "regex": "pattern", "pii": None, "classifier": "model"}
        needed = needs[self.kind]
        if needed and not getattr(self, needed):
            raise ValueError(_("a {kind} rule needs `{needs}`", kind=self.kind, needs=needed))
        if self.kind == "classifier" and not self.labels:
            raise ValueError(_("a {kind} rule needs `{needs}`", kind=self.kind, needs="labels"))
        if self.kind == "pii" and self.action != "redact":
            raise ValueError(_("a pii rule redacts (action: redact)"))
        if self.kind == "classifier" and self.action != "refuse":
            raise ValueError(
                _("a classifier rule refuses (action: refuse): it judges a whole text")
            )
        self._only_own_fields()
        if self.kind == "classifier" and self.threshold is None:
            self.threshold = 0.5
        if self.kind == "regex":
            self.case_sensitive = bool(self.case_sensitive)
            try:
                compiled = re.compile(self.pattern or "")
            except re.error as error:
                raise ValueError(
                    _(
                        "pattern is not a valid regular expression: {error}",
                        error=regex_problem(error),
                    )
                ) from None
            if _matches_empty(compiled):
                raise ValueError(
                    _(
                        "pattern {pattern!r} matches empty text, so the rule would apply to "
                        "every request; write it so that it needs at least one character "
                        "(e.g. `x+`, not `x*`)",
                        pattern=self.pattern,
                    )
                )
        unknown = set(self.types or ()) - set(PII_TYPES)
        if unknown:
            raise ValueError(
                _(
                    "unknown pii types {unknown}; known: {known}",
                    unknown=str(sorted(unknown)),
                    known=str(list(PII_TYPES)),
                )
            )
        return self

    def _only_own_fields(self) -> None:
        """A field that means nothing for this kind would silently do nothing: say so."""
        for kind, fields in KIND_FIELDS.items():
            for field in fields:
                if self.kind != kind and getattr(self, field) is not None:
                    raise ValueError(
                        _("`{field}` applies only to {kind} rules", field=field, kind=kind)
                    )


class PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    version: str = Field(min_length=1)
    title: Texts
    rules: list[Rule]

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: list[Rule]) -> list[Rule]:
        ids = [r.id for r in rules]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(_("rule ids must be unique; twice: {twice}", twice=str(twice)))
        return rules


@dataclass(frozen=True)
class Decision:
    """What the policy made of one input: the text to use, and which rules acted."""

    text: str
    refused_by: Rule | None = None
    redacted_by: tuple[str, ...] = ()


# A policy file's required top-level fields, read from its model: a field added is named too.
REQUIRED = tuple(name for name, field in PolicyFile.model_fields.items() if field.is_required())


def _refuse_missing_fields(path: Path, error: ValidationError) -> None:
    """All top-level fields a policy file lacks, in one message: said one at a time, a
    reader would fix and rerun once per field."""
    missing = [
        str(e["loc"][0]) for e in error.errors() if e["type"] == "missing" and len(e["loc"]) == 1
    ]
    if missing:
        raise InputError(
            _(
                "{path}: required top-level fields are missing: {fields}",
                path=path,
                fields=", ".join(missing),
            ),
            _(
                "a policy file has {fields} at its top level; see docs/operating.md (The safety "
                "policy) and {file}",
                fields=", ".join(REQUIRED),
                file=DEFAULT_POLICY.name,
            ),
        ) from None


class Policy:
    def __init__(
        self, spec: PolicyFile, sha256: str, classifiers: dict[str, TextClassifier] | None = None
    ) -> None:
        self.spec = spec
        self.sha256 = sha256
        self.classifiers = classifiers or {}
        self._matchers = {
            rule.id: _matcher(rule) for rule in spec.rules if rule.kind in ("keywords", "regex")
        }
        lookalikes()  # read Unicode's table (~0.2 s) at start, not during the first request

    @classmethod
    def load(cls, path: Path | str) -> Policy:
        """The policy in `path`; `default` is the one shipped with gemeingut."""
        path = DEFAULT_POLICY if str(path) == "default" else Path(path)
        raw, data, root = _read(path)
        fields_at = partial(_fields_at, data)
        try:
            spec = PolicyFile.model_validate(data)
        except ValidationError as error:
            _refuse_missing_fields(path, error)
            first = error.errors()[0]
            raise InputError(
                _(
                    "{path}: {problem}",
                    path=path,
                    problem=where_wrong(data, root, first, fields_at, cutoff=0.7),
                ),
                _known_fields(first, fields_at)
                or _(
                    "see docs/operating.md (The safety policy) and {file} for the format",
                    file=DEFAULT_POLICY.name,
                ),
            ) from None
        classifiers = {
            rule.id: _classifier(rule, path.parent)
            for rule in spec.rules
            if rule.kind == "classifier"
        }
        return cls(spec, hashlib.sha256(raw).hexdigest(), classifiers)

    def check(self, text: str) -> Decision:
        """Refuse on the first refusing rule that matches; else apply every redaction."""
        redacted: list[str] = []
        readings: dict[str, tuple] = {}  # each text's folded reading, until a rule changes it
        # each text's readings for the refusing rules, each with its lower case
        seen: dict[str, tuple[tuple[str, str], ...]] = {}
        for rule in self.spec.rules:
            if rule.kind == "pii":
                text, kinds = redact_personal_data(text, rule.types or PII_TYPES, readings)
                if kinds:
                    redacted.append(rule.id)
                continue
            if rule.kind == "classifier":
                scores = self.classifiers[rule.id].scores(text)
                if max(scores[label] for label in rule.labels or ()) >= rule.threshold:
                    return Decision(text, refused_by=rule)
                continue
            matcher = self._matchers[rule.id]
            if rule.action == "refuse":
                if text not in seen:
                    seen[text] = tuple((r, lower_case(r)) for r in _readings(text))
                if any(_found(matcher, *reading) for reading in seen[text]):
                    return Decision(text, refused_by=rule)
                continue  # a refusing rule never redacts
            find = partial(_spans, matcher)
            text, replaced = _redact(text, find, f"<{rule.id}>", readings)
            if replaced:
                redacted.append(rule.id)
        return Decision(text, redacted_by=tuple(redacted))

    def published(self) -> dict[str, object]:
        """The policy file, its SHA-256, and which model each classifier rule consults."""
        classifiers = {
            rule_id: {"sha256": model.fingerprint, "labels": model.labels}
            for rule_id, model in self.classifiers.items()
        }
        return {
            "sha256": self.sha256,
            **self.spec.model_dump(exclude_none=True),
            **({"classifiers": classifiers} if classifiers else {}),
            "reading": {language: READING.render(language) for language in LANGUAGES},
        }

    def refusal(self, rule: Rule, language: str) -> Message:
        """The refusal by `rule`, with its text in `language` (the policy file's own): its
        id, so that a person can find it on the policy view, and where the rules are."""
        return _(
            "refused by rule {rule} of the policy {policy} (version {version}): {text} The "
            "rules are at /v1/policy.",
            rule=rule.id,
            policy=self.spec.id,
            version=self.spec.version,
            text=rule.text.en if language == "en" else rule.text.de,
        )


def _read(path: Path) -> tuple[bytes, object, object]:
    """The policy file's bytes, its data and its node tree (for the lines of mistakes); a file
    that cannot be read is said in the reader's words, as every command says one."""
    from gemeingut.os_errors import os_error

    try:
        raw = path.read_bytes()
    except OSError as error:
        problem, hint, _code = os_error(error)
        raise InputError(
            _("cannot read the policy: {problem}", problem=problem),
            hint or _("pass --policy default, or the path of a policy file"),
        ) from None
    try:
        data, root = compose(raw.decode("utf-8"))
    except UnicodeDecodeError:
        not_text = _("{path}: not a UTF-8 text file", path=str(path))
        raise InputError(
            _("cannot read the policy: {problem}", problem=not_text), _("save it as UTF-8")
        ) from None
    except yaml.YAMLError as error:
        raise InputError(
            _("cannot read the policy: {problem}", problem=syntax_problem(path, error)),
            _("fix the YAML"),
        ) from None
    return raw, data, root


def _fields_at(data: object, loc: tuple) -> list[str]:
    """The keys known where `loc` stands: the file's, a text's, or a rule's (those of its kind
    where the rule names a known one)."""
    if len(loc) == 1:
        return list(PolicyFile.model_fields)
    if len(loc) != 3:
        return list(Texts.model_fields)
    kind = _rule_at(data, loc).get("kind")
    if isinstance(kind, str) and kind in KIND_FIELDS:
        return [*RULE_FIELDS, *KIND_FIELDS[kind]]
    return list(Rule.model_fields)


def _rule_at(data: object, loc: tuple) -> dict:
    """The rule (as written) that `loc` (`rules`, its index, a field) points into."""
    rules = data.get("rules") if isinstance(data, dict) else None
    index = loc[1]
    if isinstance(rules, list) and isinstance(index, int) and 0 <= index < len(rules):
        rule = rules[index]
        return rule if isinstance(rule, dict) else {}
    return {}


def _known_fields(error: dict, fields_at: Callable[[tuple], list[str]]) -> Message | None:
    """For an unknown key, every key allowed where it stands."""
    if error["type"] != "extra_forbidden" or not error["loc"]:
        return None
    return _("allowed fields: {fields}", fields=", ".join(fields_at(tuple(error["loc"]))))


def _classifier(rule: Rule, policy_folder: Path) -> TextClassifier:
    """The rule's model, loaded at start: a wrong folder or label is said before serving."""
    folder = Path(rule.model or "").expanduser()
    folder = folder if folder.is_absolute() else policy_folder / folder
    model = TextClassifier(folder, rule.id)
    unknown = sorted(set(rule.labels or ()) - set(model.labels))
    if unknown:
        raise InputError(
            _(
                "rule {rule}: the model at {path} has no labels {unknown}; it has {known}",
                rule=rule.id,
                path=folder,
                unknown=", ".join(unknown),
                known=", ".join(model.labels),
            ),
            _("name labels of that model under `labels`"),
        )
    return model


def _matches_empty(pattern: re.Pattern[str]) -> bool:
    """Whether `pattern` matches zero characters in empty or ordinary text (`x*`, `a|`,
    `\\b`): a refusing rule would refuse every request, a redacting one put its placeholder
    between any two characters."""
    if pattern.search("") is not None:
        return True
    return any(m.start() == m.end() for m in pattern.finditer(PLAIN_TEXT))


def _matcher(rule: Rule) -> re.Pattern[str] | LowerCasePattern:
    """A keyword's spaces match any run of white space, hyphens or underscores (a doubled
    space, a line break or Bombe_bauen must not get a phrase past its rule); a word's edges are
    letters and digits, so that _Bombe bauen_ is found too. Ignoring case, a pattern is searched
    in the text's lower case where it can be (`caseless`: the same matches, faster)."""
    if rule.kind == "regex":
        flags = 0 if rule.case_sensitive else re.IGNORECASE
        return compile_caseless(rule.pattern or "", flags)
    words = sorted(rule.words or (), key=len, reverse=True)
    folded = (unicodedata.normalize("NFKC", word) for word in words)  # as the text is read
    phrases = [GAP.join(map(re.escape, word.split())) for word in folded]
    return compile_caseless(r"(?<![^\W_])(?:" + "|".join(phrases) + r")(?![^\W_])", re.IGNORECASE)


def _found(matcher: re.Pattern[str] | LowerCasePattern, reading: str, lowered: str) -> bool:
    """Whether `matcher` matches `reading` (`lowered`: its lower case, made once per check)."""
    if isinstance(matcher, LowerCasePattern):
        return matcher.search(reading, lowered) is not None
    return matcher.search(reading) is not None


def _readings(text: str) -> tuple[str, ...]:
    """`text` as a refusing rule reads it: as sent, and with compatibility forms folded
    (ｂｏｍｂｅ → bombe) and invisible characters (zero-width space, soft hyphen, variation
    selectors) once left out (inside a word: Bom\u200bbe) and once read as a space (between
    words: eine\u200bBombe), and the folded text with look-alike letters read as Latin (Bоmbe
    with a Cyrillic о), so that none of them hides a phrase from its rule. Each different
    reading once: a plain text is one reading, read once by each rule, not four times."""
    folded = unicodedata.normalize("NFKC", text)
    joined = INVISIBLE.sub("", folded)
    spaced = INVISIBLE.sub(" ", folded)
    return tuple(dict.fromkeys((text, joined, spaced, joined.translate(lookalikes()))))


@cache
def lookalikes() -> dict[int, str]:
    """Every character that Unicode's confusables table reads as one Latin letter (its
    prototype), as a `str.translate` table: Cyrillic о → o, Greek α → a, Cherokee Ꮇ → M. A
    stroke whose prototype is `l` reads as `I` where it is a capital letter (Cyrillic І,
    Greek Ι), as a reader takes it among capitals. Letters of the Latin alphabet stay; German
    ä, ö, ü and ß have no Latin prototype and stay too."""
    from confusable_homoglyphs.confusables import confusables_data

    table: dict[int, str] = {}
    for char, homoglyphs in confusables_data.items():
        # A character that is not a prototype itself lists its prototype only.
        if len(char) != 1 or char.isascii() or len(homoglyphs) != 1:
            continue
        latin = homoglyphs[0]["c"]
        if len(latin) == 1 and latin.isascii() and latin.isalpha():
            capital = latin == "l" and unicodedata.category(char) == "Lu"
            table[ord(char)] = "I" if capital else latin
    return table


def redact_personal_data(
    text: str, types: Iterable[str] = PII_TYPES, readings: dict | None = None
) -> tuple[str, tuple[str, ...]]:
    """`text` with the personal data of `types` that the curate stage's detectors find replaced
    by their placeholders (<EMAIL> …), read as a `pii` rule reads it (disguises folded), and
    which kinds were found: what a pii rule does, for anything else that keeps text people
    wrote (community findings)."""
    readings = {} if readings is None else readings
    found: list[str] = []
    for kind in PII_TYPES:
        if kind in types:
            finder = partial(find_spans, kind=kind)
            text, replaced = _redact(text, finder, PLACEHOLDERS[kind], readings)
            if replaced:
                found.append(kind)
    return text, tuple(found)


def _spans(matcher: re.Pattern[str] | LowerCasePattern, text: str) -> Iterable[Span]:
    return (found.span() for found in matcher.finditer(text))


def _redact(
    text: str, find: Callable[[str], Iterable[Span]], placeholder: str, readings: dict
) -> tuple[str, int]:
    """`text` with what `find` finds in its folded reading (compatibility forms folded,
    invisible characters left out) replaced by `placeholder`, each in place of every character
    it came from: anna＠example.org and anna@example\u200b.org go whole. How many were.
    `readings` keeps the reading of each text for the next rule (one check's, forgotten after)."""
    if text not in readings:
        readings[text] = _folded(text)
    folded, pieces, starts = readings[text]
    parts: list[str] = []
    last = 0
    for start, end in find(folded):
        begin, stop = (start, end) if not pieces else _origin(pieces, starts, start, end)
        if begin < last:  # within what an earlier span replaced
            continue
        parts += (text[last:begin], placeholder)
        last = stop
    if not parts:
        return text, 0
    return "".join(parts) + text[last:], len(parts) // 2


# A folded reading in pieces: (where it starts in the reading, the span of the text it comes
# from, whether each of its characters comes from one of the span: then a position maps by its
# offset; else the whole piece maps to the whole span).
Piece = tuple[int, int, int, bool]
# Runs of characters that may fold: all but ASCII, Latin-1 letters and common punctuation, so
# that a German text is looked at only where it holds something else.
_MAY_FOLD = re.compile("[^\\x00-\\x7f\u00c0-\u00ff\u2013\u2014\u2018-\u201e\u20ac]+")
_JAMO = re.compile("[\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]")  # Hangul letters compose


def _folded(text: str) -> tuple[str, tuple[Piece, ...], tuple[int, ...]]:
    """`text` folded for `_redact`, in pieces (none: the text is its own reading). A run that
    folds letter for letter (full-width text) is one piece; otherwise each letter with its
    combining marks is folded on its own, as NFKC works on them."""
    if text.isascii() or (unicodedata.is_normalized("NFKC", text) and not INVISIBLE.search(text)):
        return text, (), ()
    reading = _Reading(text)
    for run in _MAY_FOLD.finditer(text):
        start, end = run.span()
        if unicodedata.combining(text[start]) and start > 0:
            start -= 1  # a combining mark folds with its letter
        chunk = text[start:end]
        folded = INVISIBLE.sub("", unicodedata.normalize("NFKC", chunk))
        if folded == chunk:
            continue
        one_for_one = len(folded) == len(chunk) and not _JAMO.search(chunk)
        if one_for_one and not any(map(unicodedata.combining, chunk)):
            reading.add(start, end, folded, by_offset=True)
            continue
        cluster = start
        for i in range(start + 1, end + 1):
            if i == end or not unicodedata.combining(text[i]):
                letter = text[cluster:i]
                folded = INVISIBLE.sub("", unicodedata.normalize("NFKC", letter))
                reading.add(cluster, i, folded, by_offset=len(folded) == len(letter))
                cluster = i
    return reading.done()


class _Reading:
    """A folded reading as it is put together, with where each piece comes from."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.parts: list[str] = []
        self.pieces: list[Piece] = []
        self.length = self.pos = 0  # the reading's length; where the text not yet read starts

    def add(self, start: int, end: int, folded: str, by_offset: bool) -> None:
        """`text[start:end]` reads as `folded` (the text before it as itself)."""
        if start > self.pos:
            self._piece(self.text[self.pos : start], self.pos, start, True)
        if folded:
            self._piece(folded, start, end, by_offset)
        self.pos = end

    def done(self) -> tuple[str, tuple[Piece, ...], tuple[int, ...]]:
        if self.pos < len(self.text):
            self._piece(self.text[self.pos :], self.pos, len(self.text), True)
        return "".join(self.parts), tuple(self.pieces), tuple(p[0] for p in self.pieces)

    def _piece(self, folded: str, start: int, end: int, by_offset: bool) -> None:
        last = self.pieces[-1] if self.pieces else None
        if (
            by_offset
            and last
            and last[3]
            and last[2] == start
            and start - last[1] == self.length - last[0]
        ):
            self.pieces[-1] = (last[0], last[1], end, True)  # the same offset: one piece
        else:
            self.pieces.append((self.length, start, end, by_offset))
        self.parts.append(folded)
        self.length += len(folded)


def _origin(
    pieces: tuple[Piece, ...], starts: tuple[int, ...], start: int, end: int
) -> tuple[int, int]:
    """The span of the text that the reading's `start`…`end` comes from."""
    at, first, _last, same = pieces[bisect_right(starts, start) - 1]
    begin = first + start - at if same else first
    at, first, last, same = pieces[bisect_right(starts, end - 1) - 1]
    return begin, (first + end - at if same else last)
