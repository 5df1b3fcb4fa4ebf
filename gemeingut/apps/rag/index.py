"""A collection of documents on disk: the names the rest of gemeingut uses it by.

collection.py     an opened collection: chunks, BM25 and vectors, as a search reads them
ingest.py         documents in and out: incremental by sha256, a new index switched to in
                  one rename, documents of another reader format read again
ingest_files.py   which files an ingest takes, under which key, and which it refuses
access.py         who may see a collection: its groups
storage.py        the layout on disk: collection.json, files/, index-<id>/
"""

from gemeingut.apps.rag.access import set_groups
from gemeingut.apps.rag.collection import Collection, open_collection
from gemeingut.apps.rag.ingest import ingest, remove
from gemeingut.apps.rag.storage import COLLECTION_FILE, StoredChunk, list_collections

__all__ = [
    "COLLECTION_FILE",
    "Collection",
    "StoredChunk",
    "ingest",
    "list_collections",
    "open_collection",
    "remove",
    "set_groups",
]
