"""A training-data line that is not JSON is refused with the reason in the reader's words and
the column: the audit said Python's English "(Expecting value)" inside its German sentence."""

from pathlib import Path

import pytest

from gemeingut.audit.subject import iter_documents
from gemeingut.errors import InputError
from gemeingut.i18n import text, use_language


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{text: broken}", "Spalte 2: kein gültiges JSON: ein Feldname in doppelten"),
        ('{"text": broken}', "Spalte 10: kein gültiges JSON: ein Wert fehlt"),
        ('{"text": "a"} {}', "Spalte 15: kein gültiges JSON: nach dem Objekt folgt noch etwas"),
    ],
)
def test_a_broken_line_is_said_in_german_with_its_column(
    tmp_path: Path, line: str, reason: str
) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text('{"text": "gut"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        list(iter_documents((data,)))
    said = text(caught.value.message)
    assert said.startswith(f"{data}, Zeile 2, {reason}"), said
    assert "Expecting" not in said and "Extra data" not in said


def test_the_reason_is_english_for_an_english_reader(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text('{"text": broken}\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        list(iter_documents((data,)))
    with use_language("en"):
        said = text(caught.value.message)
    assert said == f"{data}, line 1, column 10: not valid JSON: a value is missing " + (
        "(text in double quotes, a number, true or false)"
    )
