"""An opened collection: its chunks, BM25 index and dense vectors, as a search reads them.

A collection is made and changed by `ingest.py` (who may see it by `access.py`) and kept on
disk as `storage.py` describes. It is opened as it was when opened: open it again after an
ingest. One whose documents were read by another version of the readers than this
gemeingut's is opened, listed and changed as any other, but neither searched nor shown:
its pages and sections are not those the readers find in its documents now, so a citation
would name a page the viewer does not show, and its text may hold what the readers now leave
out (control characters: format 6). An ingest, or an upload to it, reads such documents again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gemeingut.apps.rag.embedders import Embedder, EmbedderSpec, open_embedder
from gemeingut.apps.rag.endpoint import endpoint_key
from gemeingut.apps.rag.german_terms import WORDS
from gemeingut.apps.rag.lexical import Lexical
from gemeingut.apps.rag.storage import (
    CHUNKS,
    FILES_DIR,
    VECTORS,
    StoredChunk,
    collection_folder,
    read_by_this_reader,
    read_chunks,
    read_meta,
)
from gemeingut.errors import InputError
from gemeingut.i18n import _, quoted
from gemeingut.i18n.visible import visible

_SHOWN_OUTDATED = 3  # documents named in the refusal of an outdated collection


class Collection:
    """An opened collection: what `search` reads. Open it again after an ingest."""

    def __init__(self, folder: Path, meta: dict[str, Any]) -> None:
        self.folder = folder
        self.meta = meta
        self.name: str = meta["name"]
        self.groups: list[str] = meta.get("groups", [])
        self.language: str = meta.get("language", "de")
        documents: dict[str, dict[str, Any]] = meta.get("documents", {})
        self.outdated = sorted(k for k, r in documents.items() if not read_by_this_reader(r))
        index = folder / meta["index"] if meta.get("index") else None
        self.chunks: list[StoredChunk] = read_chunks(index / CHUNKS) if index else []
        self.size = len(self.chunks)
        self.vectors = (
            np.load(index / VECTORS, mmap_mode="r")
            if index is not None and (index / VECTORS).is_file()
            else None
        )
        self.index_folder = index
        self._embedder: Embedder | None = None
        # Loaded now, not when first searched: an ingest may replace the folder meanwhile.
        self.bm25 = (
            Lexical(index, meta.get("terms", WORDS), self.language)
            if index is not None and self.size
            else None
        )

    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = open_embedder(embedder_spec(self.meta))
        return self._embedder

    def use_embedder(self, embedder: Embedder) -> None:
        """A running server passes its own model instead of loading the folder again."""
        self._embedder = embedder

    def document_file(self, key: str) -> Path:
        """The stored copy of a document, for the source viewer."""
        record = self.meta["documents"].get(key)
        if record is None:
            raise InputError(
                _("collection '{name}' holds no document '{key}'", name=self.name, key=visible(key))
            )
        return self.folder / FILES_DIR / record["file"]

    def visible_to(self, groups: set[str]) -> bool:
        """A collection is seen only by members of a group that owns it."""
        return bool(groups & set(self.groups))

    def refuse_if_outdated(self) -> None:
        """An `InputError` saying to ingest again where documents were read by another version
        of the readers: their pages and sections would be cited as this gemeingut's readers
        no longer number them (a sheet's place, not its printed page)."""
        if not self.outdated:
            return
        shown = quoted(self.outdated[:_SHOWN_OUTDATED])
        if len(self.outdated) > _SHOWN_OUTDATED:
            shown = _("{names} …", names=shown)
        raise InputError(
            _(
                "collection '{name}' has to be ingested again: {keys} were read by another "
                "version of gemeingut, which reads pages, sections or text differently",
                name=self.name,
                keys=shown,
            ),
            _(
                "gemeingut rag ingest {name} PATH, with any of its files or folders, reads them "
                "again from the collection's own copies",
                name=self.name,
            ),
        )


def open_collection(root: Path, name: str) -> Collection:
    return Collection(collection_folder(root, name), read_meta(root, name))


def embedder_spec(meta: dict[str, Any], api_key: str | None = None) -> EmbedderSpec:
    recorded = meta.get("embedder")
    if not recorded:
        raise InputError(_("collection '{name}' has no dense vectors", name=meta["name"]))
    key = api_key or endpoint_key()
    return EmbedderSpec(recorded["source"], recorded.get("model"), key)
