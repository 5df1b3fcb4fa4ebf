"""Every exclusion reason the curate stage can write has its meaning in English and German:
`too-large` had none, and the summary said „2 × too-large (too-large)“. The codes are found
where the code writes them (readers, blocks, the licence gate, the filters), so a reason added
later without its meaning fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gemeingut.data
from gemeingut.data.publish.reasons import reason_meaning
from gemeingut.i18n import text, translations

DATA = Path(gemeingut.data.__file__).parent
# Modules of the curate stage; `fetch` has reasons of its own (why a download failed).
MODULES = sorted(
    path for path in DATA.rglob("*.py") if "publish" not in path.parts and path.name != "fetch.py"
)
# Values a code's f-string is filled with, where the code takes them from settings or data.
SAMPLES = {"n": ["2", "5", "10"], "kind": ["line", "paragraph"], "language": ["en", "fr"]}


def _codes(node: ast.expr, samples: dict[str, list[str]]) -> list[str]:
    """The codes a literal or an f-string of sample values spells."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if not isinstance(node, ast.JoinedStr):
        return []
    spelt = [""]
    for part in node.values:
        if isinstance(part, ast.Constant):
            spelt = [s + str(part.value) for s in spelt]
        else:
            name = ast.unparse(part.value)
            assert name in samples, f"add sample values for {{{name}}} in {ast.unparse(node)}"
            spelt = [s + value for s in spelt for value in samples[name]]
    return spelt


def _prefixes(tree: ast.Module) -> tuple[dict[str, str], set[int]]:
    """Helpers like `_reject(reason, …)` that return `Rejection(f"gopher-quality:{reason}", …)`:
    their name and the prefix they give their first argument; and those calls of `Rejection`,
    whose codes are spelt where the helper is called."""
    found, inside = {}, set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef) or not function.args.args:
            continue
        first = function.args.args[0].arg
        for call in ast.walk(function):
            if _called(call) == "Rejection" and isinstance(call.args[0], ast.JoinedStr):
                head, *rest = call.args[0].values
                if isinstance(head, ast.Constant) and ast.unparse(rest[0]) == f"{{{first}}}":
                    found[function.name] = str(head.value)
                    inside.add(id(call))
    return found, inside


def _called(node: ast.AST) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def emitted_codes() -> set[str]:
    codes: set[str] = set()
    for path in MODULES:
        tree = ast.parse(path.read_text("utf-8"))
        prefixes, inside = _prefixes(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):  # def reject(…, reason="invalid-record")
                args, defaults = node.args.args, node.args.defaults
                pairs = [*zip(args[len(args) - len(defaults) :], defaults, strict=True)]
                pairs += zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
                for arg, default in pairs:
                    if arg.arg == "reason" and default is not None:
                        codes.update(_codes(default, SAMPLES))
            name = _called(node)
            if name is None or id(node) in inside:
                continue
            assert isinstance(node, ast.Call)
            codes.update(
                c for k in node.keywords if k.arg == "reason" for c in _codes(k.value, SAMPLES)
            )
            given = {
                "exclusion": 0,  # record.exclusion("near-duplicate", …)
                "exclusion_for": 1,  # exclusion_for(doc, "empty", …)
                "LicenseDecision": 1,  # LicenseDecision(False, "licence-missing", …)
                "Rejection": 0,  # Rejection("language-uncertain", …)
            }
            if name in prefixes and node.args:
                codes.update(prefixes[name] + c for c in _codes(node.args[0], SAMPLES))
            elif name in given and len(node.args) > given[name]:
                codes.update(_codes(node.args[given[name]], SAMPLES))
    codes.discard("admitted")
    return codes


def test_the_scan_finds_the_reasons_of_every_kind() -> None:
    codes = emitted_codes()
    for code in (
        "invalid-record",  # a reader's default
        "too-large",  # a reader's keyword
        "licence-non-commercial",  # the licence gate
        "empty",  # a block
        "near-duplicate",  # a phase-2 block
        "test-contamination",
        "gopher-quality:bullet-lines",  # a filter's helper
        "gopher-repetition:top-2-gram",
        "fineweb-quality:newline-ratio",
        "language-uncertain",
        "language-fr",
    ):
        assert code in codes


@pytest.mark.parametrize("code", sorted(emitted_codes()))
def test_every_reason_has_its_meaning_in_english_and_german(code: str) -> None:
    meaning = reason_meaning(code)
    assert meaning is not None, f"{code} has no meaning in gemeingut/data/publish/reasons.py"
    english, german = text(meaning, "en"), text(meaning, "de")
    assert english != german, f"{code}: no German for {english!r}"
    german_texts = translations("de")
    for message in [meaning, *meaning.values.values()]:
        msgid = getattr(message, "msgid", None)
        assert msgid is None or msgid in german_texts, f"{code}: {msgid!r} lacks its German"
