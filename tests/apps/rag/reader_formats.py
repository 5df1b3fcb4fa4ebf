"""A collection as an older reader format left it, and its next ingest: what each
`test_reader_format_*.py` sets up before it checks which documents are read again."""

from __future__ import annotations

from pathlib import Path

from gemeingut.apps.rag.index import Collection, ingest, open_collection
from gemeingut.apps.rag.ingest import IngestReport
from tests.apps.rag.test_ocr_kept import read_by_format

NOTE = "notiz.txt"  # a text file, read alike by every format: never read again
NOTE_KEY = f"akten/{NOTE}"


def as_read_by(docs: Path, root: Path, reader: int) -> Collection:
    """The collection "amt" under `root` with `docs` (and a NOTE written there) ingested, each
    document marked as read by reader format `reader`: what a newer gemeingut finds."""
    (docs / NOTE).write_text("Rückruf bis Freitag.\n", encoding="utf-8")
    ingest(root, "amt", [docs])
    read_by_format(root / "amt", reader)
    return open_collection(root, "amt")


def ingested_again(docs: Path, root: Path) -> tuple[IngestReport, Collection]:
    """The next ingest of `docs` into "amt" under `root`: its report, and the collection."""
    return ingest(root, "amt", [docs]), open_collection(root, "amt")
