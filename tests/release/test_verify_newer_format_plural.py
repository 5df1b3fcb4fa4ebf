"""The sentence for a bundle of a newer format counts the checks it does not know: "the check
'x'" for one, "the checks 'x', 'y'" for more, in German too; `verify --json` gives both the
kind "newer-format"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.i18n import text
from gemeingut.release.verify_format import other_format
from gemeingut.release.verify_json import _problem
from gemeingut.release.verify_snapshot import snapshot_code

OURS = "gemeingut 1.0.0"


def _bundle(root: Path, unknown: list[str]) -> Path:
    """A folder as a newer gemeingut wrote it: its own source (training-code/) makes the
    `unknown` checks, its lineage names that code, its openness.json lists a check this
    version knows and the `unknown` ones."""
    source = root / "training-code" / "gemeingut"
    source.mkdir(parents=True)
    (source / "__init__.py").write_text('__version__ = "9.0.0"\n', "utf-8")
    (source / "checks.py").write_text("".join(f'check("{id_}")\n' for id_ in unknown), "utf-8")
    (root / "training-metadata").mkdir(parents=True)
    lineage = {"model": {"code": snapshot_code(root)}}
    (root / "training-metadata" / "lineage.json").write_text(json.dumps(lineage), "utf-8")
    checks = [{"id": id_} for id_ in ["licence.weights", *unknown]]
    (root / "openness.json").write_text(json.dumps({"checks": checks}), "utf-8")
    return root


@pytest.mark.parametrize(
    ("unknown", "german", "english"),
    [
        (
            ["licence.future"],
            "openness.json nennt die Prüfung „licence.future“, die diese Version",
            "openness.json lists the check 'licence.future', which this version",
        ),
        (
            ["licence.future", "data.future"],
            "openness.json nennt die Prüfungen „licence.future“, „data.future“, die diese",
            "openness.json lists the checks 'licence.future', 'data.future', which this",
        ),
    ],
)
def test_the_unknown_checks_are_counted(
    tmp_path: Path, unknown: list[str], german: str, english: str
) -> None:
    found = other_format(_bundle(tmp_path, unknown), {}, None, [], OURS)
    assert found is not None and found.format_problems == []
    assert german in text(found.said, "de"), text(found.said, "de")
    assert english in text(found.said, "en"), text(found.said, "en")
    assert _problem(found.said)["kind"] == "newer-format"
