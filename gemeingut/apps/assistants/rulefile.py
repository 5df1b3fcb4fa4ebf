"""The tender check's rule files: what a rule may say, and what is wrong with one, by line.

Offices write their own rules (a Tariftreue clause, a deadline below the EU thresholds), so a
rule file is read the way a person writes it: a text in German only (or English only, or as
one plain string) serves both languages, German severities are understood, and every mistake
names the file, the line, the rule and the field, with the key meant where one is misspelt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gemeingut.apps.assistants.dates import with_dates
from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.regex_problems import regex_problem
from gemeingut.yamlfile import compose, syntax_problem, where_wrong

SHIPPED_RULES = Path(__file__).with_name("rules") / "vergabe.yaml"
Severity = Literal["error", "warning", "hint"]
_GERMAN_SEVERITIES = {"fehler": "error", "warnung": "warning", "hinweis": "hint"}


def _severity(value: object) -> object:
    """`fehler`, `warnung`, `hinweis` as the English names the findings carry."""
    return _GERMAN_SEVERITIES.get(value.lower(), value) if isinstance(value, str) else value


class Texts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    de: str
    en: str

    @model_validator(mode="before")
    @classmethod
    def _one_serves_both(cls, data: object) -> object:
        """A plain string, or only one language, is that text in both languages."""
        if isinstance(data, str):
            return {"de": data, "en": data}
        if isinstance(data, dict) and ("de" in data) != ("en" in data):
            given = data["de"] if "de" in data else data["en"]
            return {"de": given, "en": given, **data}
        return data


def _compiles(pattern: str) -> str:
    try:
        re.compile(with_dates(pattern))
    except re.error as exc:
        raise ValueError(
            _(
                "pattern '{pattern}' is not a regular expression: {error}",
                pattern=pattern,
                error=regex_problem(exc),
            )
        ) from None
    return pattern


# Checked where it stands, so that the error names its line in the file.
Pattern = Annotated[str, AfterValidator(_compiles)]


def _has_group(pattern: str, group: str) -> bool:
    """Whether the compiled `pattern` has a group named `group`: one that only spells it, escaped
    (`\\(?P<n>…\\)`), has none, and its first match would end the check in a traceback."""
    return group in re.compile(with_dates(pattern)).groupindex


class Dates(BaseModel):
    """A deadline given as two dates ("Die Bekanntmachung wird am 05.01.2027 versandt",
    "Angebote sind bis zum 12.01.2027 einzureichen"): the days from a date in a sentence that
    matches `start` to one in a sentence that matches `end` are the number checked."""

    model_config = ConfigDict(extra="forbid")
    start: list[Pattern] = Field(min_length=1)
    end: list[Pattern] = Field(min_length=1)


class AtLeast(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pattern: Pattern
    minimum: int
    dates: Dates | None = None

    @field_validator("pattern")
    @classmethod
    def _has_number_group(cls, pattern: str) -> str:
        if not _has_group(pattern, "n"):
            raise ValueError(_("at_least.pattern needs a group (?P<n>…) for the number"))
        return pattern


class SourceIf(BaseModel):
    """Another legal source (and advice) for the drafts that say one of `when` and one of each
    group of `when_all`: a deadline for building works is set by the VOB/A, one for supplies
    and services by the VgV; building works below the EU thresholds (works, and a national
    procedure, often said in two sentences) by its first section."""

    model_config = ConfigDict(extra="forbid")
    when: list[Pattern] = []
    when_all: list[Annotated[list[Pattern], Field(min_length=1)]] = []
    source: str = Field(min_length=1)
    advice: Texts | None = None

    @model_validator(mode="after")
    def _says_when(self) -> SourceIf:
        if not (self.when or self.when_all):
            raise ValueError(_("give when or when_all: the drafts this source is for"))
        return self


# The group each list of patterns that names a product needs, and the error where one lacks it
_GROUPS = {
    "forbidden_names": ("name", _("each pattern of forbidden_names needs a group (?P<name>…)")),
    "forbidden_makers": (
        "maker",
        _("each pattern of forbidden_makers needs a group (?P<maker>…)"),
    ),
}


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    source: str = Field(min_length=1, description="The legal source, e.g. § 31 Abs. 6 VgV.")
    severity: Annotated[Severity, BeforeValidator(_severity)]
    title: Texts
    advice: Texts
    # the first entry whose `when` the draft says gives its findings' source and advice
    source_if: list[SourceIf] = []
    forbidden: list[Pattern] = []
    # forbidden where its group (?P<name>…) is no German word (`names.py`): „mit dem Framework
    # Salesforce“, not „mit dem System Heizungsanlage“
    forbidden_names: list[Pattern] = []
    # forbidden where its group (?P<maker>…), which a cue says made the ware, names one maker
    # (`names.is_makers_name`), German words too: „Kaffeemaschinen von Jura zu liefern“, not
    # „Tische von Holz“ or „von Fachfirmen“
    forbidden_makers: list[Pattern] = []
    unless: list[Pattern] = []  # in the same sentence: allows a forbidden text, denies a required
    # in a later sentence of the same paragraph or list item that refers back to the forbidden
    # text: allows it too („… von Frosch. Gleichwertige Produkte sind zugelassen.“)
    unless_after: list[Pattern] = []
    required: list[list[Pattern]] = []
    near: list[Pattern] = []  # required text counts only in a sentence (or section) matching one
    # Where required text is missing, the finding quotes the first sentence that matches one of
    # `cite` (award criteria named without their weights: the passage to complete); where none
    # does, its title is `absent` (that the draft names none), so that no finding stands
    # without saying where, or that nowhere.
    cite: list[Pattern] = []
    absent: Texts | None = None
    at_least: AtLeast | None = None
    # Where the rule applies: only in a draft in which one of `only_if` occurs and one of each
    # group of `only_if_all` ([[A, B], [C]]: A or B, and C; a restricted procedure that states
    # its urgency), never in one in which one of `skip_if` occurs (a procedure below the EU
    # thresholds, price as the only criterion); what `ignore` matches is no text for the test
    # (an address, a field label).
    only_if: list[Pattern] = []
    only_if_all: list[Annotated[list[Pattern], Field(min_length=1)]] = []
    skip_if: list[Pattern] = []
    ignore: list[Pattern] = []

    @field_validator("forbidden_names", "forbidden_makers")
    @classmethod
    def _has_its_group(cls, patterns: list[str], info: ValidationInfo) -> list[str]:
        group, missing = _GROUPS[info.field_name]
        if any(not _has_group(pattern, group) for pattern in patterns):
            raise ValueError(missing)
        return patterns

    @field_validator("required", "only_if_all", mode="before")
    @classmethod
    def _groups(cls, value: object) -> object:
        """A flat list is ambiguous (all of them, or one of them?): say both ways to write it."""
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            raise ValueError(
                _("is a list of groups: [[A, B]] asks for one of A and B, [[A], [B]] for both")
            )
        return value

    @model_validator(mode="after")
    def _one_test(self) -> Rule:
        forbids = bool(self.forbidden or self.forbidden_names or self.forbidden_makers)
        tests = [forbids, bool(self.required), self.at_least is not None]
        if sum(tests) != 1:
            raise ValueError(_("give exactly one of forbidden, required, at_least"))
        if (self.cite or self.absent) and not self.required:
            raise ValueError(_("cite and absent are for a rule with required"))
        if self.unless_after and not forbids:
            raise ValueError(_("unless_after is for a rule with forbidden"))
        return self


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[Rule]


def load_rules(extra: list[Path] | None = None) -> list[Rule]:
    """The shipped rules, then each `extra` file's; a rule with a known id replaces it."""
    rules: dict[str, Rule] = {}
    for path in [SHIPPED_RULES, *(extra or [])]:
        for rule in _read_rules(path):
            rules[rule.id] = rule
    return list(rules.values())


def _read_rules(path: Path) -> list[Rule]:
    try:
        data, root = compose(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            _("{path} cannot be read: {problem}", path=str(path), problem=str(exc))
        ) from exc
    except yaml.YAMLError as exc:
        raise InputError(syntax_problem(path, exc)) from exc
    hint = _(
        "the shipped rules explain the format in their first lines: {rules}",
        rules=str(SHIPPED_RULES),
    )
    if root is None:
        raise InputError(_("{path} is empty", path=str(path)), hint)
    try:
        return RuleSet.model_validate(data).rules
    except ValidationError as exc:
        problems = "; ".join(where_wrong(data, root, e, _known_at) for e in exc.errors())
        raise InputError(_("{path}: {problems}", path=str(path), problems=problems), hint) from exc


# The keys each level of a rule file knows, by the key above them; the "did you mean" comes from
# the level the misspelt key stands on.
_KEYS = {
    "title": Texts.model_fields,
    "advice": Texts.model_fields,
    "absent": Texts.model_fields,
    "at_least": AtLeast.model_fields,
    "dates": Dates.model_fields,
    "source_if": SourceIf.model_fields,
}


def _known_at(loc: tuple) -> Iterable[str]:
    """The keys known where `loc` stands: the file's, a rule's, or those of the key above (a
    list's item: the key above the list)."""
    above = [key for key in loc[:-1] if isinstance(key, str)]
    return RuleSet.model_fields if len(loc) == 1 else _KEYS.get(above[-1], Rule.model_fields)
