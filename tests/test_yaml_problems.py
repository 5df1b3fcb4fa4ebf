"""PyYAML's syntax problems in the reader's words (German by default): real files parsed by
PyYAML, the message a person reads."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gemeingut.i18n import text
from gemeingut.yamlfile import syntax_problem


def said(source: str) -> str:
    with pytest.raises(yaml.YAMLError) as broken:
        yaml.safe_load(source)
    return text(syntax_problem(Path("regeln.yaml"), broken.value), "de")


def test_text_after_a_quoted_value_is_not_called_an_indentation_problem() -> None:
    """`titel: "Vergabe" 2025` is one of the commonest hand-made mistakes; PyYAML reports it
    as the end of a block it expected, which read as "the indentation does not fit"."""
    message = said('titel: "Vergabe" 2025\n')
    assert message.startswith("regeln.yaml, Zeile 1, Spalte 18: kein YAML (ein Wert, wo")
    assert "den ganzen Text in Anführungszeichen" in message


def test_a_block_that_ends_in_the_wrong_place_is_still_an_indentation_problem() -> None:
    message = said("a:\n  b: 1\n - c\n")
    assert "die Einrückung passt nicht zu den Zeilen darüber" in message
