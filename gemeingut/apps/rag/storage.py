"""A collection on disk: its record, its documents' copies and its index, each replaced whole.

Layout of `<root>/<name>/`:
  collection.json   name, owning groups, language, embedder, documents (sha256, chunks, the
                    reader format they were read in) and the current index folder
  files/            a copy of each document (by sha256), for the source viewer and for
                    reading a document again when the readers change (`ingest.py`)
  ocr/              what Tesseract read on the scanned pages of each PDF, by the file's sha256
                    and the engine (`ocr_cache.py`): not read again when only the readers change
  index-<id>/       chunks.parquet, vectors.npy (with an embedder), bm25/ and, in German,
                    bm25-parts/ (`lexical.py`)

A new index is written to a folder of its own and `collection.json` is switched to it in one
rename: a reader sees the old index or the new, never half of one, and a failed write leaves
the old one as it was. Writers take the collection's lock; readers need none.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gemeingut.apps.rag.lexical import write
from gemeingut.apps.rag.ocr_cache import drop_unused_scans
from gemeingut.errors import InputError
from gemeingut.i18n import _, text
from gemeingut.i18n.visible import visible
from gemeingut.workspace import write_text_atomic

if TYPE_CHECKING:
    from gemeingut.apps.rag.chunking import Chunk

COLLECTION_FILE = "collection.json"
FILES_DIR = "files"
CHUNKS = "chunks.parquet"
VECTORS = "vectors.npy"
# What a chunk's page and section mean, as `readers.py` makes them: 2 since a section is its
# heading path and a PDF's page the number printed on it (1: the nearest heading, the sheet);
# 3 since Markdown is parsed (setext headings are sections, a heading's emphasis marks are
# gone; its text has no table, footnote or emphasis syntax left); 4 since a PDF page labelled
# otherwise than by a number ("iii") is that label, not a page without a number; 5 since a
# text file's lines that show headings are sections, and its chunks know their lines; 6 since
# control characters (a zero byte, an escape) are spaces in every format: format 5 kept them
# in the chunks, and answers, `rag query` and the page showed them; 7 since the Latin
# ligatures ("ﬂ" in a Chromium or LaTeX PDF) are their letters in every format: format 6 kept
# them, and "Pﬂicht" was not found by "Pflicht"; 8 since a Markdown heading with no text and
# no subsection under it is a passage of its own words: format 7 left it in no chunk (a
# repealed "§ 55 (weggefallen)" over a lone "-", a form's lines above rules of dashes); 9
# since the same holds in DOCX, ODT, HTML and text files, a Markdown form's lines above a
# rule of dashes are text (format 8 made them headings, in no chunk's text, naming the chunks
# after them), a DOCX's footnotes, headers, footers, content controls and tracked insertions
# and an HTML article's <header> and <footer> are read: format 8 left them in no chunk; 10
# since an ODT's footnotes, endnotes and text boxes follow their paragraph (format 9 glued
# them to its words, "erlaubt.1Nach § 8", and left a box anchored to the page out) and its
# page styles' headers and footers are read, a DOCX's text boxes are read (once, not again
# from their VML copy), an HTML table's row is one line of cells apart by " | " (format 9 put
# each cell on a line of its own) and an HTML image's description (alt) is text: format 9
# left them in no chunk; 11 since a picture's description (a DOCX's alt text, an ODT's
# title and description; not one that is only a file's name or path) is text, a word apart,
# and an ODT's comment, a DOCX's placeholder, a field nested in another's code and a page's
# number in a header are not (format 10 left
# the DOCX's out, glued the ODT's to the words beside it, "LageplanZone A", and read the
# others), a DOCX's table rows and cells in content controls and its SmartArt's text are read
# (format 10 left them in no chunk), an HTML table in a Markdown file is read row by row
# (format 10 ran its cells' words together) and a line end in an HTML page's source is a
# space, as a browser shows it (format 10 broke a paragraph's lines where an editor wrapped
# them); 12 since a DOCX's and an ODT's numbered list item is read with its number ("3.",
# "a)", "2.1"; format 11 left it in no chunk, and no citation of "Ziffer 3" could be found),
# a DOCX's SmartArt in a header, a note or a text box is read (format 11 left it out), and an
# HTML image's description that is its figure's caption is read once, in a web page and in a
# Markdown file's HTML (format 11 read it twice); 13 since a PDF's page is cut at its heading
# lines ("2. Angebotsfristen", `pdf_sections.py`), each passage under the heading last above it
# (format 12 read a page as one passage without a section, and a citation named its page alone).
# Raise it with every change to them, and name the formats it changes in `CHANGED_IN` (or in
# `_EVERY_KIND_CHANGED_IN`, a change of every format): each such document is then read again
# at the next ingest, and searched or shown only after it
# (`collection.Collection.refuse_if_outdated`); a document of another format stays as it is.
READER_FORMAT = 13
# by suffix, the last format after `_EVERY_KIND_CHANGED_IN` that read it otherwise than the one
# before (9 changed every kind but PDF, 10 DOCX, ODT and HTML, 11 and 12 those and Markdown,
# 13 PDF)
CHANGED_IN: dict[str, int] = {
    ".md": 12, ".markdown": 12, ".docx": 12, ".odt": 12, ".html": 12, ".htm": 12, ".txt": 9,
    ".pdf": 13,
}  # fmt: skip
_EVERY_KIND_CHANGED_IN = 7  # the last format that read every kind of file otherwise
UPLOAD_PREFIX = ".upload-"  # a folder holding an upload while it is ingested
UPLOAD_LEFT_AFTER_S = 3600
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class StoredChunk:
    id: str  # sha256 of the document (16 hex) and the chunk's place in it: stable across ingests
    document: str  # the document's key (its name in the collection)
    page: int | str | None  # as printed: its number, or its label ("iii")
    section: str | None
    text: str
    lines: tuple[int, int] | None = None  # a text file's first and last line the chunk spans


def searched_text(chunk: StoredChunk | Chunk) -> str:
    """What BM25 and the vectors see of a chunk: its section's heading, then its text. A
    heading names what the passage under it is about ("Parkausweis") in words the passage
    itself may never use; the chunk's `text` stays the passage, as shown and quoted."""
    return f"{chunk.section}\n{chunk.text}" if chunk.section else chunk.text


def read_by_this_reader(record: dict[str, Any]) -> bool:
    """Whether a document's chunks are what the readers of this gemeingut make of it: read in
    a format since the last that changed its kind of file (`CHANGED_IN`), and not in a later
    one; a record written before the format was recorded was read by format 1."""
    suffix = Path(record.get("file", "")).suffix.lower()
    since = max(CHANGED_IN.get(suffix, 0), _EVERY_KIND_CHANGED_IN)
    return since <= record.get("reader", 1) <= READER_FORMAT


def collection_folder(root: Path, name: str) -> Path:
    if not _NAME.match(name):
        raise InputError(
            _("'{name}' is not a collection name", name=visible(name)),
            _(
                "use ASCII letters (a–z, A–Z, no umlauts), digits, '.', '_' and '-' (up to 64), "
                "starting with a letter or digit: the name is a folder's"
            ),
        )
    return root / name


def list_collections(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / COLLECTION_FILE).is_file())


def read_meta(root: Path, name: str) -> dict[str, Any]:
    path = collection_folder(root, name) / COLLECTION_FILE
    if not path.is_file():
        known = ", ".join(list_collections(root)) or text(_("none"))
        raise InputError(
            _("no collection '{name}' under {root}", name=name, root=str(root)),
            _("known: {known}; create one with gemeingut rag ingest", known=known),
        )
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            _("{path} cannot be read: {problem}", path=str(path), problem=str(exc))
        ) from exc
    return meta


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Readers see the old `collection.json` or the new, never half of one."""
    meta["updated"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_text_atomic(
        folder / COLLECTION_FILE, json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
    )


def write_index(
    folder: Path,
    meta: dict[str, Any],
    chunks: list[StoredChunk],
    vectors: np.ndarray | None,
) -> None:
    """A new index folder of `chunks` and their `vectors`, and `meta` switched to it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    index = folder / f"index-{uuid.uuid4().hex[:12]}"
    try:
        index.mkdir()
        columns = {
            "id": [c.id for c in chunks],
            "document": [c.document for c in chunks],
            # a number as a number; a label ("iii") in its own column, as parquet keeps one
            # type a column
            "page": pa.array(
                [c.page if isinstance(c.page, int) else None for c in chunks], pa.int32()
            ),
            "page_label": pa.array(
                [c.page if isinstance(c.page, str) else None for c in chunks], pa.string()
            ),
            "section": pa.array([c.section for c in chunks], pa.string()),
            "text": [c.text for c in chunks],
            "first_line": pa.array([c.lines[0] if c.lines else None for c in chunks], pa.int32()),
            "last_line": pa.array([c.lines[1] if c.lines else None for c in chunks], pa.int32()),
        }
        pq.write_table(pa.table(columns), index / CHUNKS)
        if vectors is not None:
            np.save(index / VECTORS, vectors.astype(np.float32))
            meta["embedder"]["dimensions"] = int(vectors.shape[1])
        if chunks:  # a question is split as the index records
            meta["terms"] = write(index, [searched_text(c) for c in chunks], meta["language"])
        meta["index"] = index.name
        write_meta(folder, meta)
    except BaseException:
        shutil.rmtree(index, ignore_errors=True)
        raise


def read_chunks(path: Path) -> list[StoredChunk]:
    import pyarrow.parquet as pq

    table = pq.read_table(path).to_pydict()
    none = [None] * len(table["id"])
    labels = table.get("page_label") or none  # none before format 4
    pages = [
        label if page is None else page for page, label in zip(table["page"], labels, strict=True)
    ]
    firsts, lasts = table.get("first_line") or none, table.get("last_line") or none  # format 5
    lines = [
        None if first is None else (first, last) for first, last in zip(firsts, lasts, strict=True)
    ]
    return [
        StoredChunk(*row)
        for row in zip(
            table["id"],
            table["document"],
            pages,
            table["section"],
            table["text"],
            lines,
            strict=True,
        )
    ]


class NewCopies:
    """The copies of documents one ingest adds to `files/`, stored before the switch (a copy
    is taken before its chunks are embedded) and removed again where the ingest fails or is
    refused before it: `files/` is then as the ingest found it. A copy no record names would
    stay on the server unseen, and an upload a person was refused must not stay at all."""

    def __init__(self, folder: Path) -> None:
        self.files = folder / FILES_DIR
        self.made_folder = not self.files.is_dir()
        self.added: list[Path] = []

    def store(self, path: Path, digest: str) -> str:
        """The name of the collection's copy of `path`, copied if it is new."""
        name = digest + path.suffix.lower()
        target = self.files / name
        if not target.is_file():
            self.files.mkdir(exist_ok=True)
            tmp = target.with_name(f".{name}.tmp-{os.getpid()}")
            try:
                shutil.copyfile(path, tmp)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
            self.added.append(target)
        return name

    def drop(self) -> None:
        """Remove the copies this ingest added, and `files/` where it made the folder."""
        for path in self.added:
            path.unlink(missing_ok=True)
        if self.made_folder:
            shutil.rmtree(self.files, ignore_errors=True)


def drop_unused_files(folder: Path, meta: dict[str, Any]) -> None:
    """Copies no document names, their scans' readings and index folders but the current
    one: after the switch."""
    used = {record["file"] for record in meta["documents"].values()}
    for path in (folder / FILES_DIR).glob("*") if (folder / FILES_DIR).is_dir() else []:
        if path.name not in used:
            path.unlink(missing_ok=True)
    drop_unused_scans(folder, {record["sha256"] for record in meta["documents"].values()})
    for stale in folder.glob("index-*"):
        if stale.name != meta["index"]:
            shutil.rmtree(stale, ignore_errors=True)
    # an upload's temporary copy left by a server that died mid-upload (`uploads.py`): old
    # enough that no upload running now can own it
    for left in folder.glob(f"{UPLOAD_PREFIX}*"):
        if time.time() - left.stat().st_mtime > UPLOAD_LEFT_AFTER_S:
            shutil.rmtree(left, ignore_errors=True)


class CollectionBusy(InputError):
    """Another writer holds the collection: a server answers at once instead of holding one
    of its threads while another upload is read and embedded."""


@contextmanager
def locked(folder: Path, wait: bool = True) -> Iterator[None]:
    """One writer at a time per collection; readers need no lock (see the module doc). With
    `wait` False a held lock is `CollectionBusy` instead of a wait."""
    with open(folder / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise CollectionBusy(
                _("another change of this collection is under way"),
                _("try again in a few seconds"),
            ) from None
        yield
