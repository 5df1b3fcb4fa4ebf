"""A document given as bytes (uploaded on the page) becomes a collection's document.

Its key is the file name alone: a browser may send a path, and a name with a folder in it
would look like a document of an ingested folder (`a/info.txt`). The bytes are written to a
temporary folder inside the collection (same file system, removed afterwards) and ingested as
a file would be, so an upload is read, chunked, embedded, checked for duplicates and switched
to in one rename exactly like `gemeingut rag ingest`.
"""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path

from gemeingut.apps.rag.embedders import Embedder
from gemeingut.apps.rag.ingest import IngestReport, ingest
from gemeingut.apps.rag.readers import READERS
from gemeingut.apps.rag.storage import collection_folder, read_meta
from gemeingut.errors import InputError
from gemeingut.i18n import _

LONGEST_NAME = 200


def document_key(filename: str) -> str:
    """The key an uploaded file takes, or an `InputError` saying why its name cannot be one."""
    name = unicodedata.normalize("NFC", filename.strip())
    if not name or name in (".", ".."):
        raise InputError(_("the file has no name"), _("name the file, e.g. Vermerk.pdf"))
    if any(c in name for c in "/\\") or any(unicodedata.category(c) == "Cc" for c in name):
        raise InputError(
            _("{name!r} is not a file name: it contains a path or control character", name=name),
            _("send the file's name alone, e.g. Vermerk.pdf"),
        )
    if name.startswith("."):
        raise InputError(
            _("{name!r} is a hidden file's name", name=name),
            _("rename the file so that it does not start with '.'"),
        )
    if len(name) > LONGEST_NAME:
        raise InputError(
            _("the file name is longer than {count} characters", count=LONGEST_NAME),
            _("rename the file with a shorter name"),
        )
    if Path(name).suffix.lower() not in READERS:
        raise InputError(
            _("{name!r}: files of this type cannot be read", name=name),
            _("supported: {formats}", formats=", ".join(sorted(READERS))),
        )
    return name


def add_uploaded(
    root: Path, name: str, filename: str, data: bytes, embedder: Embedder | None = None
) -> tuple[str, IngestReport]:
    """Add (or replace) the document `filename` of collection `name` from `data`; the key it
    has and what the ingest did. `embedder` is the collection's own, already open."""
    key = document_key(filename)
    meta = read_meta(root, name)  # a clear error if there is no such collection
    with tempfile.TemporaryDirectory(dir=collection_folder(root, name), prefix=".upload-") as tmp:
        path = Path(tmp) / key
        path.write_bytes(data)
        report = ingest(
            root,
            name,
            [path],
            language=meta.get("language", "de"),
            embedder=embedder,
            uploaded=True,
        )
    return key, report
