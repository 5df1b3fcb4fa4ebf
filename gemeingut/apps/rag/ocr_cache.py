"""Tesseract's words of a collection's scanned pages, kept in the collection's folder: a document
read again because the readers changed (`storage.READER_FORMAT`) is not OCR'd again.

OCR is the slow reader (seconds a page, where a text layer takes milliseconds), and what it
reads on a page depends on the page and the engine alone, not on what the readers make of its
words afterwards (`ocr.page_text`, `passages.tidy`). An entry is named by both:
`ocr/<sha256 of the file>/<sheet>-<engine key>.json`. The digest is of the bytes being read,
computed here (never taken from a record), the engine key a digest of `ocr.engine()`
(Tesseract's version, its languages and their trained data, the drawing's resolution, PDFium's
build, the words' format): a changed file or engine finds no entry and is read anew, and its
entry replaces the old engine's. An entry is written under a temporary name and renamed; an
ingest that fails drops the entries it wrote (`drop_added`), and `drop_unused_scans` those of
files no document holds any more.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gemeingut.apps.rag.ocr import Word, engine_key

OCR_DIR = "ocr"


class ScanCache:
    """The scanned pages of one collection (its folder), and how many of them this use of it
    read with Tesseract (`read`) and took from earlier readings (`reused`)."""

    def __init__(self, collection: Path) -> None:
        self.folder = collection / OCR_DIR
        self.made_folder = not self.folder.is_dir()
        self.read = 0
        self.reused = 0
        self.added: list[Path] = []
        self._digests: dict[tuple[Path, int, int], str] = {}

    def words(
        self, pdf: Path, sheet: int, read: Callable[[], list[Word] | None]
    ) -> list[Word] | None:
        """The words on sheet `sheet` of `pdf` as kept, else `read()` (None: not a scan) and
        kept. Without Tesseract there is no engine to name an entry by: `read` says so."""
        key = engine_key()
        if key is None:
            return read()
        entry = self.folder / self._digest(pdf) / f"{sheet}-{key}.json"
        kept = _load(entry)
        if kept is not None:
            self.reused += 1
            return kept
        found = read()
        if found is not None:
            self.read += 1
            self._store(entry, found)
        return found

    def drop_added(self) -> None:
        """Remove the entries this use wrote, and `ocr/` where it made the folder: an ingest
        that failed or was refused leaves nothing of a document behind, its text read from a
        scan neither."""
        for entry in self.added:
            entry.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # other pages' entries are still there
                entry.parent.rmdir()
        self.added.clear()
        if self.made_folder:
            with contextlib.suppress(OSError):
                self.folder.rmdir()

    def _digest(self, pdf: Path) -> str:
        state = pdf.stat()
        stamp = (pdf.resolve(), state.st_mtime_ns, state.st_size)
        if stamp not in self._digests:
            digest = hashlib.sha256()
            with pdf.open("rb") as file:
                for block in iter(lambda: file.read(1 << 20), b""):
                    digest.update(block)
            self._digests[stamp] = digest.hexdigest()
        return self._digests[stamp]

    def _store(self, entry: Path, found: list[Word]) -> None:
        """Write the entry whole (temporary name, rename) and drop the same sheet's entries
        of other engines. One that cannot be written (a collections folder the server may
        only read) costs the next reading its time, nothing else."""
        rows = [[w.text, list(w.line), list(w.box)] for w in found]
        tmp = entry.with_name(f".{entry.name}.{uuid.uuid4().hex}.tmp")
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            new = not entry.exists()
            tmp.write_text(json.dumps({"words": rows}, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, entry)
        except OSError:
            tmp.unlink(missing_ok=True)
            return
        if new:
            self.added.append(entry)
        sheet = entry.name.split("-", 1)[0]
        for other in entry.parent.glob(f"{sheet}-*.json"):
            if other != entry:
                other.unlink(missing_ok=True)


def _load(entry: Path) -> list[Word] | None:
    """The words of an entry; None where there is none or it cannot be read as one (not
    JSON, or a word whose place is not numbers: a page marked from it would fail)."""
    try:
        return [_word(said) for said in json.loads(entry.read_text(encoding="utf-8"))["words"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _word(said: Any) -> Word:
    """One word as `_store` writes it: its text, its line (three ids) and its box (four
    fractions); a `ValueError` or `TypeError` where it is not that."""
    text, (block, paragraph, line), (left, top, width, height) = said
    if not isinstance(text, str):
        raise TypeError(text)
    return Word(
        text,
        (int(block), int(paragraph), int(line)),
        (float(left), float(top), float(width), float(height)),
    )


def drop_unused_scans(collection: Path, digests: set[str]) -> None:
    """The entries of files whose digest no document of the collection has."""
    folder = collection / OCR_DIR
    for kept in folder.iterdir() if folder.is_dir() else []:
        if kept.name not in digests:
            if kept.is_dir():
                shutil.rmtree(kept, ignore_errors=True)
            else:  # a temporary file of a write that died
                kept.unlink(missing_ok=True)
