"""The restrictions read from a licence's own text (`text_restrictions`) are the ones it
states, not words that merely occur in it: a German text that calls itself
„Nutzungsbedingungen“ (terms of use) binds no use to a use policy, and a text that allows the
outputs to train other models bans nothing; the ban and the policy themselves are found."""

from __future__ import annotations

import pytest

from gemeingut.release.openness.text_restrictions import text_restrictions


@pytest.mark.parametrize(
    "sentence",
    [
        "Diese Nutzungsbedingungen gewähren jedermann das Recht, das Modell frei zu nutzen, zu "
        "verändern und weiterzugeben.",
        "You may use the outputs of the Model to train other models, commercially or not.",
        "Die Ausgaben des Modells dürfen frei genutzt werden, auch um andere Modelle zu "
        "trainieren.",
    ],
)
def test_words_that_grant_state_no_restriction(sentence: str) -> None:
    assert text_restrictions(sentence, quoted=False) == []


@pytest.mark.parametrize(
    ("sentence", "restriction"),
    [
        (
            "You will not use the Materials or any output or results of the Materials to "
            "improve any other large language model.",
            "improve other models",
        ),
        (
            "Die Ausgaben dürfen nicht verwendet werden, um andere Sprachmodelle zu trainieren.",
            "improve other models",
        ),
        ("Your use must adhere to the Acceptable Use Policy.", "use policy"),
        ("Jede Nutzung unterliegt der Nutzungsrichtlinie des Anbieters.", "use policy"),
    ],
)
def test_the_restriction_itself_is_found(sentence: str, restriction: str) -> None:
    found = [said.render("en") for said in text_restrictions(sentence, quoted=False)]
    assert len(found) == 1 and restriction in found[0], found
