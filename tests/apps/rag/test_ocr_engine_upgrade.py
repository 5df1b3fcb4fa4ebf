"""Tesseract upgraded while a process runs (a server between two uploads): the kept readings'
engine key notices it at the next reading, without a restart, and the scanned pages are read
anew by the new engine; while the program is the same, its version is not asked again. The
upgrade is a real replacement of the program file (a new file renamed over the old, as a
package manager does), the reading the real Tesseract's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytesseract
import pytest

from gemeingut.apps.rag.index import ingest
from tests.apps.rag.documents import PAGES, write_scanned_pdf
from tests.apps.rag.test_ocr_kept import read_by_format

# `--list-langs` is asked only for the engine key (pytesseract asks `--version` itself)
PROGRAM = (
    '#!/bin/sh\nif [ "$1" = "--list-langs" ]; then echo run >> "{log}"; fi\n'
    'if [ "$1" = "--version" ]; then echo "tesseract {version}"; exit 0; fi\n'
    'exec tesseract "$@"\n'
)


def install(program: Path, log: Path, version: str) -> None:
    """Tesseract `version` at `program`, as an upgrade puts it there: written beside, renamed."""
    new = program.with_name(".tesseract.new")
    new.write_text(PROGRAM.format(log=log, version=version), encoding="utf-8")
    new.chmod(0o755)
    os.replace(new, program)


@pytest.fixture
def program(tmp_path: Path) -> Iterator[Path]:
    program = tmp_path / "bin" / "tesseract"
    program.parent.mkdir()
    before = pytesseract.pytesseract.tesseract_cmd
    pytesseract.pytesseract.tesseract_cmd = str(program)
    yield program
    pytesseract.pytesseract.tesseract_cmd = before


def test_an_upgraded_tesseract_reads_the_scanned_pages_anew_without_a_restart(
    program: Path, tmp_path: Path
) -> None:
    log = tmp_path / "asked.log"
    install(program, log, "98.0.0")
    docs = tmp_path / "akten"
    docs.mkdir()
    write_scanned_pdf(docs / "scan.pdf", PAGES[:1])
    root = tmp_path / "c"
    first = ingest(root, "akten", [docs])
    assert (first.ocr_pages_read, first.ocr_pages_reused) == (1, 0)

    read_by_format(root / "akten", 1)  # read again: the same engine's reading
    same = ingest(root, "akten", [docs])
    assert (same.ocr_pages_read, same.ocr_pages_reused) == (0, 1)
    assert log.read_text(encoding="utf-8").split() == ["run"]  # the engine asked once

    install(program, log, "98.0.1")  # the upgrade, this process running on
    read_by_format(root / "akten", 1)
    upgraded = ingest(root, "akten", [docs])
    assert (upgraded.ocr_pages_read, upgraded.ocr_pages_reused) == (1, 0)
    assert log.read_text(encoding="utf-8").split() == ["run", "run"]


def test_a_language_installed_later_changes_the_key_without_a_restart(
    program: Path, tmp_path: Path
) -> None:
    """German's trained data missing as the key is first made, installed while the process
    runs on (a package `tesseract-ocr-deu` added): the key is made anew, as it names each
    language's data. Before, only the files there at first were watched."""
    from gemeingut.apps.rag.ocr import engine_key

    tessdata = tmp_path / "tessdata"
    tessdata.mkdir()
    (tessdata / "eng.traineddata").write_bytes(b"english")
    listing = f'echo "List of available languages in \\"{tessdata}/\\" (1):"; echo eng; exit 0'
    program.write_text(
        f'#!/bin/sh\nif [ "$1" = "--list-langs" ]; then {listing}; fi\n'
        'if [ "$1" = "--version" ]; then echo "tesseract 98.0.0"; exit 0; fi\nexit 1\n',
        encoding="utf-8",
    )
    program.chmod(0o755)
    without = engine_key()
    assert without is not None and engine_key() == without
    (tessdata / "deu.traineddata").write_bytes(b"deutsch")
    assert engine_key() not in (None, without)
