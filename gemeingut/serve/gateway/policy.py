"""The published safety policy: what the server filters, and why, readable by every user.

A filter reflects values, so they are made visible: the policy is a versioned YAML file of
rules, each with an id, a German and an English text, and what it looks for (keywords, a regular
expression, personal data found with the curate stage's detectors, or labels of a local
text-classification model, `classifier.py`). `GET /v1/policy` serves it whole, patterns
included, with the file's SHA-256 and each classifier's labels and SHA-256, so anyone can tell
which version applied.
A rule either refuses the request (a 400 naming the rule) or redacts what it found before the
model sees it; both decisions go into the audit log with the rule's id.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gemeingut.data.pii import PII_TYPES, scrub_text
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.serve.gateway.classifier import TextClassifier
from gemeingut.yamlfile import compose, where_wrong

DEFAULT_POLICY = Path(__file__).with_name("default_policy.yaml")


class Texts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    de: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,60}$")
    kind: Literal["keywords", "regex", "pii", "classifier"]
    action: Literal["refuse", "redact"]
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
        self._only_for("regex", "case_sensitive")
        self._only_for("classifier", "threshold")
        if self.kind == "classifier" and self.threshold is None:
            self.threshold = 0.5
        if self.kind == "regex":
            self.case_sensitive = bool(self.case_sensitive)
            try:
                re.compile(self.pattern or "")
            except re.error as error:
                raise ValueError(
                    _("pattern is not a valid regular expression: {error}", error=str(error))
                ) from None
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

    def _only_for(self, kind: str, field: str) -> None:
        """A field that means nothing for this kind would silently do nothing: say so."""
        if self.kind != kind and getattr(self, field) is not None:
            raise ValueError(_("`{field}` applies only to {kind} rules", field=field, kind=kind))


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

    @classmethod
    def load(cls, path: Path | str) -> Policy:
        """The policy in `path`; `default` is the one shipped with gemeingut."""
        path = DEFAULT_POLICY if str(path) == "default" else Path(path)
        try:
            raw = path.read_bytes()
            data, root = compose(raw.decode("utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise InputError(
                _("{path}: cannot read the policy: {error}", path=path, error=str(error)),
                _("a UTF-8 YAML file"),
            ) from None
        try:
            spec = PolicyFile.model_validate(data)
        except ValidationError as error:
            first = error.errors()[0]
            raise InputError(
                _(
                    "{path}: {problem}",
                    path=path,
                    problem=where_wrong(data, root, first, _fields_at, cutoff=0.7),
                ),
                _known_fields(first)
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
        for rule in self.spec.rules:
            if rule.kind == "pii":
                types = tuple(rule.types or PII_TYPES)
                scrubbed, found = scrub_text(text, types)
                if sum(found.values()):
                    text = scrubbed
                    redacted.append(rule.id)
                continue
            if rule.kind == "classifier":
                scores = self.classifiers[rule.id].scores(text)
                if max(scores[label] for label in rule.labels or ()) >= rule.threshold:
                    return Decision(text, refused_by=rule)
                continue
            matcher = self._matchers[rule.id]
            if rule.action == "refuse":
                if any(matcher.search(reading) for reading in _readings(text)):
                    return Decision(text, refused_by=rule)
                continue  # a refusing rule never redacts
            if not matcher.search(text):
                continue
            text = matcher.sub(f"<{rule.id}>", text)
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
        }

    def refusal(self, rule: Rule, language: str) -> str:
        text = rule.text.en if language == "en" else rule.text.de
        if language == "en":
            return (
                f"refused by rule {rule.id} of the policy {self.spec.id} "
                f"(version {self.spec.version}): {text} The whole policy: GET /v1/policy"
            )
        return (
            f"abgelehnt nach Regel {rule.id} der Richtlinie {self.spec.id} "
            f"(Version {self.spec.version}): {text} Die ganze Richtlinie: GET /v1/policy"
        )


def _fields_at(loc: tuple) -> list[str]:
    """The keys known where `loc` stands: the file's, a rule's, or a text's."""
    return list({1: PolicyFile, 3: Rule}.get(len(loc), Texts).model_fields)


def _known_fields(error: dict) -> Message | None:
    """For an unknown key, every key allowed where it stands."""
    if error["type"] != "extra_forbidden" or not error["loc"]:
        return None
    return _("allowed fields: {fields}", fields=", ".join(_fields_at(tuple(error["loc"]))))


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


def _matcher(rule: Rule) -> re.Pattern[str]:
    """A keyword's spaces match any run of white space (a doubled space or a line break
    must not get a phrase past its rule)."""
    if rule.kind == "regex":
        return re.compile(rule.pattern or "", 0 if rule.case_sensitive else re.IGNORECASE)
    words = sorted(rule.words or (), key=len, reverse=True)
    phrases = [r"\s+".join(map(re.escape, word.split())) for word in words]
    return re.compile(r"(?<!\w)(?:" + "|".join(phrases) + r")(?!\w)", re.IGNORECASE)


def _readings(text: str) -> tuple[str, ...]:
    """`text` as a refusing rule reads it: as sent, and with compatibility forms folded
    (ｂｏｍｂｅ → bombe) and invisible format characters (zero-width space, soft hyphen) once
    left out (inside a word: Bom\u200bbe) and once read as a space (between words:
    eine\u200bBombe), so that none of them hides a phrase from its rule."""
    folded = unicodedata.normalize("NFKC", text)
    joined = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    spaced = "".join(" " if unicodedata.category(c) == "Cf" else c for c in folded)
    return (text, joined, spaced)
