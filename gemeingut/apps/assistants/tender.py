"""The tender check ("Ausschreibung"): a tender draft checked against rules kept as data.

Rules (YAML, `rules/vergabe.yaml` ships the common checks; `--rules` adds or replaces by id)
name their legal source, a severity and one test: text that must not occur (`forbidden`,
unless an `unless` pattern is in the same sentence), text that must occur (`required`, one
pattern of each group) or a number that must reach a minimum (`at_least`). Each finding names
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
from gemeingut.i18n import _, text

SHIPPED_RULES = Path(__file__).with_name("rules") / "vergabe.yaml"
Severity = Literal["error", "warning", "hint"]
# A sentence ends at . ! ? ; or a blank line; one line break (a PDF's wrapped line) does not.
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n\s*\n")


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
    unless: list[str] = []
    required: list[list[str]] = []
    at_least: AtLeast | None = None

    @model_validator(mode="after")
    def _one_test_with_valid_patterns(self) -> Rule:
        tests = [bool(self.forbidden), bool(self.required), self.at_least is not None]
        if sum(tests) != 1:
            raise ValueError(_("give exactly one of forbidden, required, at_least"))
        patterns = [*self.forbidden, *self.unless, *(p for g in self.required for p in g)]
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
            _("{path}: no text found", path=str(path)), _("a scanned PDF needs OCR first")
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
        whole = "\n".join(sentence for sentence, _passage in sentences)
        return [] if all(_any(group, whole) for group in rule.required) else [finding()]
    assert rule.at_least is not None
    found = [
        (int(match["n"]), sentence, passage)
        for sentence, passage in sentences
        for match in re.finditer(rule.at_least.pattern, sentence, re.IGNORECASE)
    ]
    return [finding(s, p) for n, s, p in found if n < rule.at_least.minimum]


def _any(patterns: list[str], text: str) -> bool:
    return any(re.search(p, text, re.IGNORECASE) for p in patterns)


def _read_rules(path: Path) -> list[Rule]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            _("{path} cannot be read: {problem}", path=str(path), problem=str(exc))
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise InputError(
            _("{path}{where}: not YAML ({problem})", path=str(path), where=where, problem=str(exc))
        ) from exc
    try:
        return RuleSet.model_validate(data).rules
    except ValidationError as exc:
        error = exc.errors()[0]
        location = _location(data, error["loc"])
        raise InputError(
            _(
                "{path}: {location}: {problem}",
                path=str(path),
                location=location,
                problem=str(error["msg"]).removeprefix("Value error, "),
            ),
            _(
                "the shipped rules explain the format in their first lines: {rules}",
                rules=str(SHIPPED_RULES),
            ),
        ) from exc


def _location(data: object, loc: tuple) -> str:
    """'rule 3 (angebotsfrist), field at_least.minimum' from pydantic's location."""
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = data.get("rules") if isinstance(data, dict) else None
        rule = rules[loc[1]] if isinstance(rules, list) and loc[1] < len(rules) else {}
        name = f" ({rule.get('id')})" if isinstance(rule, dict) and rule.get("id") else ""
        number, field = str(loc[1] + 1), ".".join(str(part) for part in loc[2:])
        if not field:  # the rule as a whole (no test, or a pattern that does not compile)
            return text(_("rule {number}{name}", number=number, name=name))
        return text(_("rule {number}{name}, field {field}", number=number, name=name, field=field))
    return text(_("field {field}", field=".".join(str(part) for part in loc)))
