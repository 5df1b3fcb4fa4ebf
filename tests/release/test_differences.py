"""What `verify` and `reproduce` say of two versions of a JSON record that differ."""

from __future__ import annotations

from gemeingut.i18n import text
from gemeingut.release.differences import differences, json_differences


def test_json_values_of_other_types_differ() -> None:
    assert json_differences({"a": True}, {"a": 1}) == ["a true ≠ 1"]
    assert json_differences({"a": [1.0]}, {"a": [1]}) == ["a[0] 1.0 ≠ 1"]
    assert json_differences({"a": 0}, {"a": False}) == ["a 0 ≠ false"]


def test_the_same_json_in_other_bytes_is_said_by_its_first_line() -> None:
    found = differences("run.json", '{"a": 1, "b": 2}\n', '{"b": 2, "a": 1}\n')
    assert [text(f) for f in found] == [
        'Zeile 1: "{\\"a\\": 1, \\"b\\": 2}" ≠ "{\\"b\\": 2, \\"a\\": 1}"'
    ]
    assert differences("run.json", '{"a": 1}', '{"a": 1}') == []
