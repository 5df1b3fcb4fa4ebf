"""Writing one's own policy: a mistake is said by the rule's id and the file's line, with the
field meant and the fields allowed; a regex rule may be case-sensitive; the shipped file's
commented regex example works once uncommented; /v1/policy shows a threshold only where one
applies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gemeingut.errors import InputError
from gemeingut.serve.gateway.policy import DEFAULT_POLICY, Policy
from gemeingut.yamlfile import compose, where_wrong

HEAD = "id: amt\nversion: '1'\ntitle: {de: Amt, en: Office}\nrules:\n"
PII = "  - id: personal-data\n    kind: pii\n    action: redact\n    text: {de: a, en: b}\n"


def regex_rule(extra: str = "") -> str:
    return (
        "  - id: aktenzeichen\n    kind: regex\n    action: redact\n"
        f"    pattern: 'AZ-\\d{{4}}-\\d{{6}}'\n{extra}    text: {{de: a, en: b}}\n"
    )


def load(tmp_path: Path, body: str) -> Policy:
    path = tmp_path / "policy.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return Policy.load(path)


def test_a_misspelt_field_names_rule_line_the_field_meant_and_the_fields_allowed(
    tmp_path: Path,
) -> None:
    wrong = regex_rule().replace("pattern:", "patterns:")
    with pytest.raises(InputError) as refused:
        load(tmp_path, PII + wrong)
    message, hint = str(refused.value.message), str(refused.value.hint)
    assert "Zeile 12, Regel 2 (aktenzeichen), Feld patterns" in message
    assert "meinten Sie pattern?" in message and "rules.1" not in message
    assert "erlaubte Felder: id, kind, action, title, text, pattern, case_sensitive" in hint


def test_a_regex_ignores_case_unless_the_rule_says_case_sensitive(tmp_path: Path) -> None:
    loose = load(tmp_path, regex_rule())
    assert loose.check("Akte az-2026-123456").text == "Akte <aktenzeichen>"
    strict = load(tmp_path, regex_rule("    case_sensitive: true\n"))
    assert strict.check("Akte az-2026-123456").text == "Akte az-2026-123456"
    assert strict.check("Akte AZ-2026-123456").redacted_by == ("aktenzeichen",)


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ("    threshold: 0.7\n", "`threshold` gilt nur für classifier-Regeln"),
        ("    case_sensitive: yes please\n", "muss true oder false sein"),
    ],
    ids=["threshold-on-regex", "not-a-bool"],
)
def test_a_field_that_means_nothing_for_the_kind_is_refused(
    tmp_path: Path, extra: str, said: str
) -> None:
    with pytest.raises(InputError, match=re.escape(said)):
        load(tmp_path, regex_rule(extra))


def test_the_published_policy_shows_a_threshold_only_for_classifier_rules(
    tmp_path: Path,
) -> None:
    rules = load(tmp_path, PII + regex_rule()).published()["rules"]
    assert all("threshold" not in rule for rule in rules)
    assert rules[1]["case_sensitive"] is False  # readers see how a pattern is matched
    assert "case_sensitive" not in rules[0]


def test_the_shipped_regex_example_works_once_uncommented(tmp_path: Path) -> None:
    shipped = DEFAULT_POLICY.read_text(encoding="utf-8")
    example = shipped.split("  # - id: aktenzeichen", 1)[1]
    lines = ["  # - id: aktenzeichen", *example.rstrip("\n").split("\n")]
    uncommented = "\n".join(line.replace("# ", "", 1) for line in lines) + "\n"
    assert Policy.load("default").published()["rules"][-1]["id"] != "aktenzeichen"
    policy = load(tmp_path, uncommented)
    assert policy.check("AZ-2026-123456 und az-2026-123456").text == (
        "<aktenzeichen> und az-2026-123456"
    )


def test_policy_and_tender_rules_say_a_mistake_through_one_reader(tmp_path: Path) -> None:
    """Both rule files name line, rule and the key meant with `yamlfile.where_wrong`; a key
    that is no text (`1:`) has no key meant, and a file without a node tree is its top level."""
    source = "rules:\n  - id: frist\n    patterns: x\n    1: y\n"
    data, root = compose(source)
    known = lambda loc: ["id", "pattern"]  # noqa: E731
    misspelt, numbered = (
        {"loc": ("rules", 0, key), "type": "extra_forbidden", "msg": "", "input": "x"}
        for key in ("patterns", 1)
    )
    said = where_wrong(data, root, misspelt, known)
    assert said.startswith("Zeile 3, Regel 1 (frist), Feld patterns:")
    assert said.endswith("meinten Sie pattern?")
    assert "meinten Sie" not in where_wrong(data, root, numbered, known)
    assert where_wrong(data, None, misspelt, known).startswith("(oberste Ebene): ")
    assert where_wrong(data, root, misspelt, known, cutoff=0.99).endswith("Einstellung")
