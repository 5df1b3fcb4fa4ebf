"""`gemeingut build` names its stages in the reader's language in aligned columns, and
`reproduce` reads a stage line back as its stage, in either language or as the English id an
older gemeingut printed."""

from __future__ import annotations

from pathlib import Path

from gemeingut.release.reproduce import _STAGE_ENDED
from gemeingut.stage_names import STAGE_NAMES, stage_line, stage_named


def test_stage_lines_are_german_and_their_paths_line_up() -> None:
    lines = {
        kind: stage_line(kind, kind == "dataset", Path(f"/w/{kind}"), "de") for kind in STAGE_NAMES
    }
    assert lines["publication"].startswith("Datenveröffentlichung ")
    assert lines["dataset"].startswith("Datensatz ") and "wiederverwendet" in lines["dataset"]
    assert lines["release"].split()[:2] == ["Release-Paket", "gebaut"]
    columns = {line.index("/w/") for line in lines.values()}
    assert len(columns) == 1, lines  # every path starts in the same column


def test_reproduce_reads_each_stage_back_from_its_line() -> None:
    for language in ("de", "en"):
        for kind in STAGE_NAMES:
            line = "✓ " + stage_line(kind, False, Path("/w/x"), language)
            word = _STAGE_ENDED.match(line)
            assert word is not None and stage_named(word.group(1)) == kind, line
    assert stage_named("publication") == "publication"  # an older build's English id
    assert stage_named("Unbekannt") is None
