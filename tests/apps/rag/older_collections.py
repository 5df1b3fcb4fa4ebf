"""A collection rewritten as gemeingut stored it before documents recorded their reader format:
no `reader` in collection.json, a section the nearest heading alone and a PDF's page the
sheet's place in the file, not the number printed on it."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.apps.rag.readers import PATH_SEPARATOR
from gemeingut.apps.rag.storage import CHUNKS, COLLECTION_FILE


def as_stored_by_older_readers(folder: Path, sheets: dict[str, list[str]]) -> None:
    """Rewrite the collection in `folder` in the old form; `sheets` gives each PDF's (by key)
    text sheet by sheet, to find the sheet a chunk stood on."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = json.loads((folder / COLLECTION_FILE).read_text(encoding="utf-8"))
    for record in meta["documents"].values():
        del record["reader"]
    (folder / COLLECTION_FILE).write_text(json.dumps(meta), encoding="utf-8")
    chunks = folder / meta["index"] / CHUNKS
    table = pq.read_table(chunks).to_pydict()
    table["section"] = [s.split(PATH_SEPARATOR)[-1] if s else s for s in table["section"]]
    rows = zip(table["document"], table["text"], table["page"], strict=True)
    table["page"] = [_sheet(sheets[key], text) if key in sheets else p for key, text, p in rows]
    pq.write_table(pa.table(table, schema=pq.read_schema(chunks)), chunks)


def _sheet(sheets: list[str], text: str) -> int:
    return next(number for number, sheet in enumerate(sheets, 1) if text in sheet)
