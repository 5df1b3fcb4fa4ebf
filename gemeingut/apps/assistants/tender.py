"""The tender check ("Ausschreibung"): a tender draft checked against rules kept as data.

Rules (YAML, `rules/vergabe.yaml` ships the common checks; `--rules` adds or replaces by id)
name their legal source, a severity and one test: text that must not occur (`forbidden`,
unless an `unless` pattern is in the same sentence), text that must occur (`required`, one
pattern of each group; a sentence that denies it, matching `unless`, does not count, and one
that must stand `near` an anchor counts only there) or a number that must reach a minimum
(`at_least`, in digits or German words, weeks counted as days). Each finding names
the rule, its §, and the passage of the tender with its page or section, so the person who
wrote the draft can find and fix it. The check reads the draft with the collections' readers
(PDF, DOCX, ODT, HTML, Markdown, text) and needs no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gemeingut.apps.rag.readers import Passage, read_document
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, text
from gemeingut.i18n.validation import problem

SHIPPED_RULES = Path(__file__).with_name("rules") / "vergabe.yaml"
Severity = Literal["error", "warning", "hint"]
# A sentence ends at . ! ? ; or a blank line; one line break (a PDF's wrapped line) does not.
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n\s*\n")
# Days per unit of an at_least match's (?P<unit>…), by the unit's first letters; any other unit
# (Tag, Kalendertag, Werktag, Arbeitstag) is one day. We chose to count a Werktag or Arbeitstag
# as one calendar day: N of them span at least N calendar days, so a deadline that passes is
# long enough for sure, and one just long enough may be flagged (stating Kalendertage avoids
# that). A month counts as 28 days, its shortest length, for the same reason.
_DAYS_PER_UNIT = {"woche": 7, "monat": 28}


class Texts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    de: str
    en: str


class AtLeast(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pattern: str
    minimum: int


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    source: str = Field(min_length=1, description="The legal source, e.g. § 31 Abs. 6 VgV.")
    severity: Severity
    title: Texts
    advice: Texts
    forbidden: list[str] = []
    unless: list[str] = []  # in the same sentence: allows a forbidden text, denies a required one
    required: list[list[str]] = []
    near: list[str] = []  # required text counts only in a sentence (or section) matching one
    at_least: AtLeast | None = None

    @model_validator(mode="after")
    def _one_test_with_valid_patterns(self) -> Rule:
        tests = [bool(self.forbidden), bool(self.required), self.at_least is not None]
        if sum(tests) != 1:
            raise ValueError(_("give exactly one of forbidden, required, at_least"))
        patterns = [*self.forbidden, *self.unless, *self.near]
        patterns += [pattern for group in self.required for pattern in group]
        if self.at_least is not None:
            patterns.append(self.at_least.pattern)
            if "(?P<n>" not in self.at_least.pattern:
                raise ValueError(_("at_least.pattern needs a group (?P<n>…) for the number"))
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    _(
                        "pattern {pattern!r} is not a regular expression: {error}",
                        pattern=pattern,
                        error=str(exc),
                    )
                ) from None
        return self


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[Rule]


@dataclass(frozen=True)
class Finding:
    rule: str
    source: str  # the rule's legal source
    severity: Severity
    title: str
    advice: str
    passage: str | None  # the tender's sentence, None where something is missing
    page: int | None
    section: str | None


def load_rules(extra: list[Path] | None = None) -> list[Rule]:
    """The shipped rules, then each `extra` file's; a rule with a known id replaces it."""
    rules: dict[str, Rule] = {}
    for path in [SHIPPED_RULES, *(extra or [])]:
        for rule in _read_rules(path):
            rules[rule.id] = rule
    return list(rules.values())


def check_tender(path: Path, rules: list[Rule], language: str = "de") -> list[Finding]:
    """The findings of a draft file, errors first."""
    passages = read_document(path)
    if not passages:
        raise InputError(
            _("{path}: no text found", path=str(path)),
            _("the file holds no text to check (a scanned page is read too, if it shows text)"),
        )
    return check_passages(passages, rules, language)


def check_passages(passages: list[Passage], rules: list[Rule], language: str) -> list[Finding]:
    """The findings of a draft already read (a file's passages, or text sent to the server)."""
    sentences = [
        (" ".join(sentence.split()), passage)
        for passage in passages
        for sentence in _SENTENCE.split(passage.text)
        if sentence.strip()
    ]
    findings = []
    for rule in rules:
        findings += _check(rule, sentences, language)
    order = {"error": 0, "warning": 1, "hint": 2}
    return sorted(findings, key=lambda f: order[f.severity])


def _check(rule: Rule, sentences: list[tuple[str, Passage]], language: str) -> list[Finding]:
    def finding(sentence: str | None = None, passage: Passage | None = None) -> Finding:
        return Finding(
            rule.id,
            rule.source,
            rule.severity,
            getattr(rule.title, language, rule.title.de),
            getattr(rule.advice, language, rule.advice.de),
            sentence,
            passage.page if passage else None,
            passage.section if passage else None,
        )

    if rule.forbidden:
        return [
            finding(sentence, passage)
            for sentence, passage in sentences
            if _any(rule.forbidden, sentence) and not _any(rule.unless, sentence)
        ]
    if rule.required:
        for group in rule.required:
            mentions = [
                (sentence, passage)
                for sentence, passage in sentences
                if _any(group, _context(sentence, passage))
                and (not rule.near or _any(rule.near, _context(sentence, passage)))
            ]
            if not any(not _any(rule.unless, _context(s, p)) for s, p in mentions):
                # only denied ("wird nicht gefordert"): the denial is the passage to look at
                return [finding(*mentions[0])] if mentions else [finding()]
        return []
    assert rule.at_least is not None
    findings = []
    for sentence, passage in sentences:
        for match in re.finditer(rule.at_least.pattern, sentence, re.IGNORECASE):
            if match["n"] is None:
                continue
            number = read_number(match["n"])
            if number is None:
                findings.append(_unreadable(rule, match["n"], sentence, passage, language))
            elif number * _days(match.groupdict().get("unit")) < rule.at_least.minimum:
                findings.append(finding(sentence, passage))
    return findings


def _context(sentence: str, passage: Passage) -> str:
    """A sentence with its section's heading: "## Zuschlagskriterien" above "Preis 60 %" is
    what makes the number a weighting."""
    return f"{passage.section}\n{sentence}" if passage.section else sentence


def _any(patterns: list[str], text: str) -> bool:
    return any(re.search(p, text, re.IGNORECASE) for p in patterns)


def _days(unit: str | None) -> int:
    unit = (unit or "").lower()
    return next((days for name, days in _DAYS_PER_UNIT.items() if unit.startswith(name)), 1)


def _unreadable(rule: Rule, value: str, sentence: str, passage: Passage, language: str) -> Finding:
    """A warning instead of a check: the rule's pattern caught a word that is no number (a
    user's rule, or "einigen Tagen"), and a person has to look at the sentence."""
    return Finding(
        rule.id,
        rule.source,
        "warning",
        text(
            _("“{value}” is not a number: rule {rule} cannot check it", value=value, rule=rule.id),
            language,
        ),
        text(_("write the number in digits (e.g. 30) or as a German number word"), language),
        sentence,
        passage.page,
        passage.section,
    )


# German number words, umlauts and ß written as ae, oe, ue and ss (as in "fuenf", "dreissig").
_ONES = {"ein": 1, "zwei": 2, "drei": 3, "vier": 4, "fuenf": 5, "sechs": 6, "sieben": 7,
         "acht": 8, "neun": 9}  # fmt: skip
_ALONE = {"null": 0, "eins": 1, "eine": 1, "einen": 1, "einem": 1, "einer": 1, "zehn": 10,
          "elf": 11, "zwoelf": 12, "dreizehn": 13, "vierzehn": 14, "fuenfzehn": 15,
          "sechzehn": 16, "siebzehn": 17, "achtzehn": 18, "neunzehn": 19}  # fmt: skip
_TENS = {"zwanzig": 20, "dreissig": 30, "vierzig": 40, "fuenfzig": 50, "sechzig": 60,
         "siebzig": 70, "achtzig": 80, "neunzig": 90}  # fmt: skip


MAX_DIGITS = 9  # Python refuses to read ints of over 4,300 digits; no rule needs more than 9


def read_number(value: str) -> int | None:
    """A number in digits or written as a German word up to 999 ("drei", "einundzwanzig",
    "hundertzwanzig"), None for anything else: drafts write short deadlines as words."""
    value = value.strip()
    if value.isascii() and value.isdigit():  # a deadline of more digits is no deadline
        return int(value) if len(value) <= MAX_DIGITS else None
    word = value.lower()
    for letter, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        word = word.replace(letter, spelled)
    hundreds, hundert, rest = word.partition("hundert")
    if not hundert:
        return _below_hundred(word)
    count = 1 if hundreds in ("", "ein") else _ONES.get(hundreds)
    rest = rest.removeprefix("und")
    below = _below_hundred(rest) if rest else 0
    if count is None or below is None:
        return None
    return count * 100 + below


def _below_hundred(word: str) -> int | None:
    """1 to 99 as one German word: "zwei", "zwoelf", "dreissig", "einundzwanzig"."""
    found = {**_ONES, **_ALONE, **_TENS}.get(word)
    if found is not None:
        return found
    ones, und, tens = word.partition("und")
    if und and ones in _ONES and tens in _TENS:
        return _ONES[ones] + _TENS[tens]
    return None


def _read_rules(path: Path) -> list[Rule]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            _("{path} cannot be read: {problem}", path=str(path), problem=str(exc))
        ) from exc
    except yaml.YAMLError as exc:
        raise InputError(_yaml_problem(path, exc)) from exc
    hint = _(
        "the shipped rules explain the format in their first lines: {rules}",
        rules=str(SHIPPED_RULES),
    )
    if data is None:
        raise InputError(_("{path} is empty", path=str(path)), hint)
    try:
        return RuleSet.model_validate(data).rules
    except ValidationError as exc:
        problems = "; ".join(
            f"{_location(data, error['loc'])}: {text(problem(error))}" for error in exc.errors()
        )
        raise InputError(_("{path}: {problems}", path=str(path), problems=problems), hint) from exc


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> Message:
    """Where the YAML breaks, in the reader's words; the parser's own (English) description
    stays in brackets, as it is the only one that says what it expected."""
    mark = getattr(exc, "problem_mark", None)
    found = str(getattr(exc, "problem", None) or exc)
    if mark is None:
        return _("{path}: not YAML ({problem})", path=str(path), problem=found)
    return _(
        "{path}, line {line}, column {column}: not YAML ({problem})",
        path=str(path),
        line=mark.line + 1,
        column=mark.column + 1,
        problem=found,
    )


def _location(data: object, loc: tuple) -> str:
    """'rule 3 (angebotsfrist), field at_least.minimum' from pydantic's location."""
    if not loc:
        return text(_("(top level)"))
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = data.get("rules") if isinstance(data, dict) else None
        rule = rules[loc[1]] if isinstance(rules, list) and loc[1] < len(rules) else {}
        name = f" ({rule.get('id')})" if isinstance(rule, dict) and rule.get("id") else ""
        number, field = str(loc[1] + 1), ".".join(str(part) for part in loc[2:])
        if not field:  # the rule as a whole (no test, or a pattern that does not compile)
            return text(_("rule {number}{name}", number=number, name=name))
        return text(_("rule {number}{name}, field {field}", number=number, name=name, field=field))
    return text(_("field {field}", field=".".join(str(part) for part in loc)))
