"""Writing exported records (audit log, logged content): personal data, so a file is readable
by its owner only and whole or absent; on stdout, a reader that stops early is no error."""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.i18n.visible import visible

FORMATS = ("jsonl", "csv")
# The file endings that name a format; `.json` names one JSON document, which JSON Lines is not.
_ENDINGS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".json": "json"}


def export_format(asked: str | None, out: Path | None) -> str:
    """The format to write: `--format`, else the one the file's ending names, else JSON Lines.
    A file whose ending names another format is refused: JSON Lines in `a.csv` would open as
    one broken column in a spreadsheet, silently."""
    if asked is not None and asked not in FORMATS:
        raise InputError(_("unknown format '{name}'", name=visible(asked)), _("jsonl or csv"))
    ending = _ENDINGS.get(out.suffix.lower()) if out is not None else None
    chosen = asked or ending or "jsonl"
    if out is not None and ending is not None and ending != chosen:
        raise InputError(
            _(
                "--out {path} ends in {ending}, but the export is written as {format}",
                path=str(out),
                ending=out.suffix,
                format=chosen,
            ),
            _(
                "name the file after its format ({jsonl} for JSON Lines, {csv} for CSV), or "
                "give --format to match it",
                jsonl=".jsonl",
                csv=".csv",
            ),
        )
    if chosen not in FORMATS:  # a .json file without --format
        raise InputError(
            _(
                "--out {path}: the export is JSON Lines (one record per line) or CSV, not one "
                "JSON document",
                path=str(out),
            ),
            _("name the file {jsonl} or {csv}", jsonl=".jsonl", csv=".csv"),
        )
    return chosen


# A cell a spreadsheet would read as a formula (OWASP "CSV injection"): any key holder can
# choose e.g. a request's model name, so "=HYPERLINK(…)" must not run on the reviewer's machine.
_FORMULA_SIGNS = ("=", "+", "-", "@")


def inert_cell(value: Any) -> Any:
    """A text cell that starts, perhaps after blanks, with a formula sign gets a leading `'`,
    as does one that starts with a tab or carriage return: spreadsheets show it as text and
    do not compute it. Numbers stay as they are (a negative count is no formula)."""
    if isinstance(value, str) and (
        value.startswith(("\t", "\r")) or value.lstrip().startswith(_FORMULA_SIGNS)
    ):
        return "'" + value
    return value


def write_records(f: Any, records: Any, format: str, columns: tuple[str, ...]) -> None:
    """Records as JSON Lines or CSV; CSV cells are made inert for spreadsheets (`inert_cell`)."""
    if format == "csv":
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for record in records:
            writer.writerow({name: inert_cell(value) for name, value in record.items()})
    else:
        for record in records:
            f.write(json.dumps(record, default=str, ensure_ascii=False, separators=(",", ":")))
            f.write("\n")


def writable_out(out: Path | None) -> None:
    """Refuse an `--out` that cannot become the file asked for, before anything is read or
    recorded: a mistyped folder is said, not created (as a mistyped database folder is), and
    a folder is no file."""
    if out is None:
        return
    folder = out.parent
    if not folder.is_dir():
        raise InputError(
            _("--out {path}: the folder {folder} does not exist", path=str(out), folder=folder),
            _("check --out, or create the folder first: mkdir -p {folder}", folder=folder),
        )
    if out.is_dir():
        raise InputError(
            _("--out {path} is a folder, but a file is needed here", path=str(out)),
            _("name a file, e.g. one inside that folder"),
        )


def write_private(out: Path, write: Any) -> None:
    """Write `out` readable by its owner only (0600: personal data), whole or not at all; its
    folder must exist (`writable_out`)."""
    fd, partial = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            write(f)
        os.replace(partial, out)
    finally:
        Path(partial).unlink(missing_ok=True)


@contextmanager
def closed_pipe_is_quiet() -> Iterator[None]:
    """`admin audit export | head`: a reader that has read enough is no error."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        # Python would flush again at exit and complain: point stdout at nothing first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
