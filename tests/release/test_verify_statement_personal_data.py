"""`verify` renders the data statement's sentences on personal data again from the dataset's
counts (stats.json's `blocks.pii_scrubber`, the record's `pii_types`): a finding claimed that
curation never counted, or a search claimed that it never ran, is named with its line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.release.manifest import write_manifest
from gemeingut.release.verify_data_statement import DATA_STATEMENT
from tests.release.test_verify_data_statement_rendered import (
    RECORDS,
    released,  # noqa: F401  (a fixture)
)
from tests.test_cli import invoke

LEAD = "**Personenbezogene und sensible Informationen.** "


@pytest.fixture
def stated(released: Path, tmp_path: Path) -> Path:  # noqa: F811  (the fixture imported above)
    """A private copy of the released bundle, free to damage."""
    return Path(shutil.copytree(released, tmp_path / "bundle"))


def _personal_line(bundle: Path) -> tuple[int, str]:
    lines = (bundle / DATA_STATEMENT).read_text(encoding="utf-8").splitlines()
    (number,) = [i for i, line in enumerate(lines, start=1) if line.startswith(LEAD)]
    return number, lines[number - 1]


def test_the_statement_says_what_the_curation_counted(stated: Path) -> None:
    stats = json.loads((stated / "training-data" / "stats.json").read_text(encoding="utf-8"))
    assert stats["blocks"]["pii_scrubber"]["replacements"] == {}  # the tiny corpus holds none
    _number, line = _personal_line(stated)
    assert "Gefunden und ersetzt: nichts." in line
    assert "nicht angegeben" not in line


@pytest.mark.parametrize(
    ("old", "new", "given"),
    [
        ("ersetzt: nichts.", "ersetzt: 3 Telefonnummern, in 1 Dokument.", "ersetzt: nichts."),
        ("Nicht gesucht wurden: Namen nach einer Anrede oder einem Titel. ", "", "Nicht gesucht"),
    ],
)
def test_a_sentence_on_personal_data_the_counts_do_not_give_is_named(
    stated: Path, old: str, new: str, given: str
) -> None:
    number, _line = _personal_line(stated)
    path = stated / DATA_STATEMENT
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    write_manifest(stated)
    result = invoke("verify", stated, "--json")
    assert result.exit_code == 1, result.output
    [problem] = json.loads(result.stdout)["problems"]
    assert (problem["file"], problem["line"]) == (DATA_STATEMENT, number), problem
    reads = f"rendered again from {RECORDS}, the line reads"
    stated_said, rendered = problem["detail"].split(reads)
    assert given in rendered and given not in stated_said, problem["detail"]
