"""A record rewritten with its MANIFEST (nothing signed) to hold a value of another kind —
`"checks": 5` in openness.json — was reported with Python's English words inside a German
sentence ("TypeError: 'int' object is not iterable"), naming neither file nor field. Each is
now named in the reader's language with its file and field, exit 1, no traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gemeingut.release.manifest import write_manifest
from tests.test_cli import invoke


def _set(path: list[str | int], value: object) -> Callable[[dict], None]:
    def change(record: dict) -> None:
        for key in path[:-1]:
            record = record[key]
        record[path[-1]] = value

    return change


CASES = [
    ("openness.json", _set(["checks"], 5), "openness.json: das Feld „checks“ ist keine Liste"),
    (
        "openness.json",
        _set(["checks", 0], "licence.weights"),
        "openness.json: das Feld „checks[0]“ ist kein Objekt",
    ),
    (
        "audit/report.json",
        _set(["plots"], ["de"]),
        "audit/report.json: das Feld „plots“ ist kein Objekt",
    ),
    (
        "training-metadata/lineage.json",
        _set(["model", "code"], 3),
        "training-metadata/lineage.json: das Feld „model.code“ ist kein Text",
    ),
    (
        "training-metadata/lineage.json",
        _set(["dataset"], "ds"),
        "training-metadata/lineage.json: das Feld „dataset“ ist kein Objekt",
    ),
    (
        "release.json",
        _set(["languages"], "de"),
        "release.json: das Feld „languages“ ist keine Liste",
    ),
    (
        "training-metadata/evaluation.json",
        _set(["tokens"], "viele"),
        "training-metadata/evaluation.json: das Feld „tokens“ ist keine Zahl",
    ),
    (
        "openness.json",
        _set(["osaid", "passed"], "ja"),
        "openness.json: das Feld „osaid.passed“ ist weder wahr noch falsch",
    ),
]


@pytest.mark.parametrize(("rel", "change", "said"), CASES)
def test_a_field_of_another_kind_is_named_in_german(
    bundle: Path, rel: str, change: Callable[[dict], None], said: str
) -> None:
    record = json.loads((bundle / rel).read_text(encoding="utf-8"))
    change(record)
    (bundle / rel).write_text(json.dumps(record, indent=2), encoding="utf-8")
    write_manifest(bundle)  # what a tamperer without the key can do
    result = invoke("verify", bundle)
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert said in output, output
    assert "Traceback" not in output and "Error" not in output and "object" not in output


def test_a_value_of_another_kind_that_no_shape_declares_is_said_in_german() -> None:
    """The last line of defence (a field no shape declares): no Python words either."""
    from gemeingut.i18n import text
    from gemeingut.json_records import why_unreadable

    said = text(why_unreadable(TypeError("'int' object is not iterable"), released=True), "de")
    assert said == "ein Wert ist nicht von der Art, wie ein Release ihn schreibt", said
