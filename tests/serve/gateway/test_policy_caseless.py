"""The policy's case-ignoring patterns are searched in the text's lower case (`caseless`), which
is only right if it finds exactly what `re.IGNORECASE` finds: the same spans for every shipped
rule on the red team's and the probes' prompts in every casing, for letters Python counts as
equal (Kelvin sign and k, long s and s, dotted İ and i, final ς and σ), and for the Unicode
data of the running Python. Patterns that tell capitals apart are left to `re`."""

from __future__ import annotations

import _sre
import json
import re
from pathlib import Path

import pytest
import yaml

from gemeingut.serve.gateway.caseless import (
    LONGER_LOWER,
    LowerCasePattern,
    compile_caseless,
    lower_case,
)
from gemeingut.serve.gateway.policy import DEFAULT_POLICY

ROOT = Path(__file__).resolve().parents[3]
SPECIAL = "K \u212a k ſ s S İ i ı I Σ σ ς ΑΣ ẞ ß SS µ μ Μ ǅ ǆ Ǆ ﬀ ＫＩＬＬ"


def prompts() -> list[str]:
    files = [ROOT / "bench" / "policy_probes.jsonl"]
    files += sorted((ROOT / "gemeingut" / "audit" / "suites" / "redteam").glob("*.jsonl"))
    said = [json.loads(line)["prompt"] for file in files for line in file.open(encoding="utf-8")]
    return said + [f(text) for text in said for f in (str.upper, str.swapcase)] + [SPECIAL]


def shipped_patterns() -> list[tuple[str, str]]:
    rules = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))["rules"]
    return [(rule["id"], rule["pattern"]) for rule in rules if rule["kind"] == "regex"]


@pytest.mark.parametrize(("rule", "pattern"), shipped_patterns())
def test_every_shipped_rule_finds_what_ignorecase_finds(rule: str, pattern: str) -> None:
    fast, plain = compile_caseless(pattern, re.IGNORECASE), re.compile(pattern, re.IGNORECASE)
    for text in prompts():
        found, expected = fast.search(text), plain.search(text)
        assert (found and found.span()) == (expected and expected.span()), (rule, text)


def test_most_shipped_rules_are_searched_in_lower_case() -> None:
    """Only a rule with capitals of its own (stalking's names) is left to `re`."""
    kept = [
        r
        for r, p in shipped_patterns()
        if not isinstance(compile_caseless(p, re.I), LowerCasePattern)
    ]
    assert kept == ["stalking"]


@pytest.mark.parametrize(
    "pattern",
    [
        r"\bk\w+",  # Kelvin sign
        r"ma[sß]e|strasse|stra(?:ß|ss)e",
        r"i[^a]|I\b|[ı]",
        r"σ+\b|[ς]",
        r"(?:ab|ǅ|ﬀ|µ)[^\WK]",
        r"(?-i:[A-Z]\w+) lebt",  # capitals of its own: left to re
        r"(a)\1",  # a back-reference: left to re
        r"(?a:k)",  # ASCII case rules: left to re
    ],
)
def test_letters_python_counts_as_equal(pattern: str) -> None:
    fast, plain = compile_caseless(pattern, re.IGNORECASE), re.compile(pattern, re.IGNORECASE)
    for text in [*SPECIAL.split(), SPECIAL, SPECIAL.lower(), SPECIAL.upper(), "Anna lebt", "aA"]:
        found = [m.span() for m in fast.finditer(text)]
        assert found == [m.span() for m in plain.finditer(text)], (pattern, text)


def test_a_pattern_that_minds_case_is_compiled_as_it_is() -> None:
    assert isinstance(compile_caseless("Bombe", 0), re.Pattern)
    assert compile_caseless("Bombe", 0).search("bombe") is None


def test_lower_case_is_one_for_one() -> None:
    """Spans found in the lower case are the text's own."""
    text = "Straße İstanbul ΑΣ ＫＩＬＬ"
    assert len(lower_case(text)) == len(text)
    assert lower_case("İ") == "i"


def test_the_running_pythons_unicode_data_keeps_the_lower_case_search_exact() -> None:
    """What makes searching the lower case exact: `str.lower` of each character is the lower
    case `re.IGNORECASE` compares (but İ, replaced first), which is its own lower case, in the
    same class (\\w, \\d, \\s) and a letter with a capital (so no uncased literal of a pattern
    is matched by a capital it never matched)."""
    classes = [re.compile(r"\w"), re.compile(r"\d"), re.compile(r"\s")]
    for code in range(0x110000):
        char, lower = chr(code), chr(_sre.unicode_tolower(code))
        assert char.lower() == lower or char in LONGER_LOWER, hex(code)
        if lower == char:
            continue
        assert _sre.unicode_tolower(ord(lower)) == ord(lower), hex(code)
        assert _sre.unicode_iscased(ord(lower)), hex(code)
        assert [bool(c.match(char)) for c in classes] == [bool(c.match(lower)) for c in classes]
    for char, lower in LONGER_LOWER.items():
        assert chr(_sre.unicode_tolower(ord(char))) == lower
