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


def write_records(f: Any, records: Any, format: str, columns: tuple[str, ...]) -> None:
    if format == "csv":
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for record in records:
            writer.writerow(record)
    else:
        for record in records:
            f.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")


def write_private(out: Path, write: Any) -> None:
    """Write `out` readable by its owner only (0600: personal data), whole or not at all."""
    out.parent.mkdir(parents=True, exist_ok=True)
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
