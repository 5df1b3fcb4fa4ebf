"""One answer to "which licence was meant" for a source's licence (`--license`, a recipe
source's `license`) and a document's own `license` field: a document's `DL-DE-BY2.0` was
excluded without the suggestion `--license DL-DE-BY2.0` got, `--license CC-BY` got none, and
`CC-BY-4,0` (a German decimal comma) only "Invalid license key…"."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.data.blocks import LicenseGate
from gemeingut.data.documents import Document
from gemeingut.data.licence_hints import meant_expression
from gemeingut.data.source_licence import source_licence_problem
from gemeingut.i18n import text
from tests.test_cli import invoke

MISSPELT = {
    "DL-DE-BY2.0": "DL-DE-BY-2.0",
    "CC-BY": "CC-BY-4.0",
    "CC-BY-4,0": "CC-BY-4.0",
    "CC BY-SA 4.0": "CC-BY-SA-4.0",
    "CC BY": "CC-BY-4.0",  # spaced as `CC BY 4.0` is, without its version
    "cc by-sa": "CC-BY-SA-4.0",
    "CC0": "CC0-1.0",
    "MIT OR CC-BY-4,0": "MIT OR CC-BY-4.0",
}


@pytest.mark.parametrize(("given", "meant"), MISSPELT.items())
def test_a_source_and_a_document_are_told_the_same_licence(given: str, meant: str) -> None:
    assert meant_expression(given) == meant
    problem = source_licence_problem(given)
    assert problem is not None
    assert text(problem[0], "en").endswith(f"did you mean {meant}?")
    excluded = []
    doc = Document("d", "Ein Text.", "s", given, "https://example.org", "Amt", "d.jsonl:1")
    assert list(LicenseGate().run(iter([doc]), excluded.append)) == []
    assert excluded[0].detail.endswith(f"; did you mean {meant}?")


@pytest.mark.parametrize(
    "licence", ["CC-BY-4.0", "GPL-3.0-only", "LicenseRef-Amt", "Amtslizenz", "CC-BY-NC-4.0"]
)
def test_no_suggestion_where_the_licence_is_spelt_right_or_nothing_is_close(licence: str) -> None:
    assert meant_expression(licence) is None


@pytest.mark.parametrize(("given", "meant"), [("CC-BY", "CC-BY-4.0"), ("CC-BY-4,0", "CC-BY-4.0")])
def test_the_licence_option_names_the_id_meant_in_german(
    tmp_path: Path, given: str, meant: str
) -> None:
    folder = tmp_path / "txt"
    folder.mkdir()
    (folder / "a.txt").write_text("Ein kurzer Text über offene Daten.", "utf-8")
    result = invoke("data", "curate", folder, "--out", tmp_path / "ds", "--license", given)
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert f"--license: „{given}“ ist keine SPDX-Lizenzkennung; meinten Sie {meant}?" in said
    assert "Invalid" not in said and not (tmp_path / "ds").exists()
