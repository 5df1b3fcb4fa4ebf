"""A special file named on `gemeingut rag ingest`'s command line (a named pipe, a device) is
named and skipped with why, unopened, and the ingest ends non-zero as for a file that cannot be
read; the other files are taken. Before, `_walk` took it for a folder: it was left out unsaid
(exit 0), and the person never learnt that it was not ingested. Real files, a real FIFO."""

from __future__ import annotations

import os
from pathlib import Path

from gemeingut.apps.rag.index import open_collection
from tests.test_cli import invoke

SPECIAL = "eine Spezialdatei (benannte Pipe, Gerät oder Socket), kein Dokument: nicht gelesen"


def test_a_named_pipe_and_a_device_are_named_skipped_and_the_exit_is_non_zero(
    tmp_path: Path,
) -> None:
    pipe = tmp_path / "eingang.txt"
    os.mkfifo(pipe)  # nobody writes to it: opening it to read would wait for ever
    device = Path("/dev/null")
    note = tmp_path / "frist.txt"
    note.write_text("Die Frist für Angebote beträgt dreißig Tage.", encoding="utf-8")
    root = tmp_path / "c"

    result = invoke("rag", "ingest", "akten", pipe, device, note, "--root", root)

    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert f"übersprungen: {pipe}: {SPECIAL}" in said
    assert f"übersprungen: {device}: {SPECIAL}" in said
    assert sorted(open_collection(root, "akten").meta["documents"]) == ["frist.txt"]


def test_the_json_report_names_the_special_file(tmp_path: Path) -> None:
    pipe = tmp_path / "eingang.md"
    os.mkfifo(pipe)
    result = invoke("rag", "ingest", "akten", pipe, "--root", tmp_path / "c", "--json")
    assert result.exit_code == 1, result.output
    assert f'"{pipe}": "{SPECIAL}"' in result.stdout
