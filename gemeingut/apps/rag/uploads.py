"""A document given as bytes (uploaded on the page) becomes a collection's document.

Its key is the file name alone: a browser may send a path, and a name with a folder in it
would look like a document of an ingested folder (`a/info.txt`). The bytes are written to a
temporary folder inside the collection (same file system, removed afterwards) and ingested as
a file would be, so an upload is read, chunked, embedded, checked for duplicates and switched
to in one rename exactly like `gemeingut rag ingest`; one that is refused (not taken, a quota,
a full queue) or fails leaves the collection as it was (`ingest.ingest`). A server does not
wait for another change of the same collection (a busy collection is said at once), and
nothing it answers names where it keeps the file. An upload to a collection whose documents an
older gemeingut read reads them again too, as any ingest does (their embedding is the
operator's upkeep, not the uploader's: `upkeep`); its report counts the control
characters of the file read as spaces (`IngestReport.control_characters`), for the sender.
The temporary file is named by the server (`upload.pdf`), not by the sender: a reader's warning
in the server's log names the collection's folder, never the document, as the audit never
does (a file's name can say whom it is about); the sender's refusal names their file.
Why a file is not taken is said in the sender's language (`said_in`): the ingest puts a
reader's reason into words as it skips the file, in a server's worker thread that knows no
request.
"""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path

from gemeingut.apps.rag.embedders import Embedder
from gemeingut.apps.rag.ingest import IngestReport, Skipped, ingest
from gemeingut.apps.rag.readers import READERS
from gemeingut.apps.rag.storage import UPLOAD_PREFIX, collection_folder, read_meta
from gemeingut.errors import InputError
from gemeingut.i18n import _, current_language, use_language

LONGEST_NAME = 200  # characters, as a person counts them
LONGEST_NAME_BYTES = 240  # as the file system counts them (255 at most, a temporary suffix)


class NotTaken(InputError):
    """The file was read but not taken (no text, damaged, the same text under another
    name): said with the document's key, never with where the server keeps it."""


def document_key(filename: str) -> str:
    """The key an uploaded file takes, or an `InputError` saying why its name cannot be one."""
    if len(filename) > 4 * LONGEST_NAME:  # before a refusal below says the name back
        raise _too_long()
    # checked before the name is trimmed: a line break at its end is no space to drop, and
    # a key with one is what `rag ingest` skips (`ingest_files.found_documents`)
    if any(unicodedata.category(c) == "Cc" for c in filename):
        raise InputError(
            _(
                "{name!r} is not a file name: it holds control characters (a line break, a tab)",
                name=filename,
            ),
            _("rename the file without them and send it again"),
        )
    name = unicodedata.normalize("NFC", filename.strip())
    if not name or name in (".", ".."):
        raise InputError(_("the file has no name"), _("name the file, e.g. Vermerk.pdf"))
    if any(c in name for c in "/\\"):
        raise InputError(
            _("{name!r} is not a file name: it contains a path", name=name),
            _("send the file's name alone, e.g. Vermerk.pdf"),
        )
    if name.startswith("."):
        raise InputError(
            _("{name!r} is a hidden file's name", name=name),
            _("rename the file so that it does not start with '.'"),
        )
    if len(name) > LONGEST_NAME or len(name.encode()) > LONGEST_NAME_BYTES:
        raise _too_long()
    if Path(name).suffix.lower() not in READERS:
        raise InputError(
            _("{name!r}: files of this type cannot be read", name=name),
            _("supported: {formats}", formats=", ".join(sorted(READERS))),
        )
    return name


def _too_long() -> InputError:
    return InputError(
        _("the file name is longer than {count} characters", count=LONGEST_NAME),
        _("rename the file with a shorter name"),
    )


def add_uploaded(
    root: Path,
    name: str,
    key: str,
    data: bytes,
    embedder: Embedder | None = None,
    upkeep: Embedder | None = None,
    said_in: str | None = None,
) -> IngestReport:
    """Add (or replace) the document `key` (a `document_key`) of collection `name` from
    `data`, or `NotTaken` with why; `storage.CollectionBusy` where another change of the
    collection is under way. `embedder` is the collection's own, already open, for the
    uploaded document; `upkeep` the same model for the other documents the ingest embeds
    again (`ingest.ingest`); `said_in` the language of why it is not taken (default: the
    current one). Refused or failed, nothing of it stays."""
    meta = read_meta(root, name)  # a clear error if there is no such collection
    folder = collection_folder(root, name)
    with tempfile.TemporaryDirectory(dir=folder, prefix=UPLOAD_PREFIX) as tmp:
        path = Path(tmp) / f"upload{Path(key).suffix}"
        path.write_bytes(data)
        try:
            with use_language(said_in or current_language()):
                return ingest(
                    root,
                    name,
                    [path],
                    language=meta.get("language", "de"),
                    embedder=embedder,
                    uploaded=True,
                    wait=False,
                    upkeep=upkeep,
                    key=key,
                )
        except Skipped as skipped:
            raise NotTaken(_without_paths(skipped.why, path, key)) from None


def _without_paths(reason: str, path: Path, key: str) -> str:
    """A reader's reason may quote the file's temporary path (a parser's own words): the
    person sees the document's name instead."""
    for place in (path, path.parent.resolve() / path.name):
        reason = reason.replace(str(place), key)
    for place in (path.parent, path.parent.resolve()):
        reason = reason.replace(str(place), "")
    return reason
