"""`verify`'s success line says the class as `openness rate` and the card explain it."""

from __future__ import annotations

from gemeingut.cli.release import _rating_said
from gemeingut.release.openness.mof import CONDITIONAL, explained


def test_a_conditional_class_is_explained_as_everywhere_else() -> None:
    label = "Class III - Open Model" + CONDITIONAL
    rating = {"mof": {"label": label}, "osaid": {"requirements": {}}}
    line = _rating_said(rating, "de")
    assert explained(label, "de") in line
    assert "nur die endgültigen Gewichte" in line or "Gewichte" in line
