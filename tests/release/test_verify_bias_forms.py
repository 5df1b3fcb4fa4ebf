"""`form_preference` turns each control by the forms the bias log names: `verify` holds them to
the bundle's suite, so a log whose forms were swapped or dropped (and a report.json edited to
match) is named, not verified."""

from __future__ import annotations

from gemeingut.audit.bias import GRAMMAR_V3, default_suite, read_pairs
from gemeingut.i18n import text
from gemeingut.release.verify_audit import _suite_problems


def test_forms_the_suite_does_not_give_are_named() -> None:
    records = [
        {"id": p.id, "category": p.category, "control_delta": 0.1}
        | ({"forms": list(p.forms)} if p.forms else {})
        for p in read_pairs(default_suite())
    ]
    assert _suite_problems(default_suite(), records, GRAMMAR_V3) == []
    swapped = next(r for r in records if "forms" in r)
    swapped["forms"].reverse()
    said = [text(m, "en") for m in _suite_problems(default_suite(), records, GRAMMAR_V3)]
    assert said == [
        f'the bias log gives the pair {swapped["id"]} the forms ["maskulin", "feminin"], '
        'the bundle\'s suite ["feminin", "maskulin"]'
    ]
    del swapped["forms"]
    assert _suite_problems(default_suite(), records, GRAMMAR_V3)
