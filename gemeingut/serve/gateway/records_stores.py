"""What the stores of personal data beside the gateway's database hold now, for the record of
processing activities: the document collections under the folder the server last started
with (how many documents, how many of them people uploaded, which groups see each), and
every findings file, the last start's and those the database remembers a server stored
reports in (`findings_files`): how many reports, how many still name their reporter by
pseudonym, and whether `admin users remove` finds the file. Read from the files themselves,
never from what the options promised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from gemeingut.errors import InputError
from gemeingut.i18n import text


@dataclass(frozen=True)
class CollectionHeld:
    name: str
    groups: list[str]
    documents: int
    uploaded: int  # given through the server by people of its groups


@dataclass
class DocumentStore:
    """The collections under `folder` (the last start's `--collections`)."""

    folder: str
    exists: bool
    upload_max_mb: str | None  # None: people upload nothing now
    collections: list[CollectionHeld] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # collections whose record is damaged

    @property
    def documents(self) -> int:
        return sum(c.documents for c in self.collections)

    @property
    def uploaded(self) -> int:
        return sum(c.uploaded for c in self.collections)


@dataclass
class FindingsStore:
    """One findings file: the last start's (`from_start`), one the database remembers
    (`remembered`: `admin users remove` erases a person's reports in it), or both."""

    path: str
    from_start: bool
    remembered: bool
    exists: bool
    findings: int = 0
    confirmed: int = 0  # published with the model's next audit
    named: int = 0  # reports that name their reporter by pseudonym
    problem: str | None = None  # why the file could not be read


@dataclass
class Stores:
    documents: DocumentStore | None = None
    findings: list[FindingsStore] = field(default_factory=list)
    triage_group: str | None = None  # of the last start's findings file

    def as_json(self) -> dict[str, object]:
        from dataclasses import asdict

        documents = self.documents
        return {
            "documents": None
            if documents is None
            else asdict(documents) | {"total": documents.documents, "uploaded": documents.uploaded},
            "findings": [asdict(f) for f in self.findings],
            "findings_triage_group": self.triage_group,
        }


def read_stores(engine: Engine, setup: dict[str, str]) -> Stores:
    """The stores of the newest start that counts (`setup`, `records.united`) and of the
    database."""
    from gemeingut.serve.findings_files import findings_files

    stores = Stores(triage_group=setup.get("findings_triage_group"))
    if setup.get("collections"):
        stores.documents = _documents(Path(setup["collections"]), setup.get("upload_max_mb"))
    remembered = [str(path) for path in findings_files(engine)]
    started = setup.get("findings")
    paths = ([started] if started else []) + [p for p in remembered if p != started]
    stores.findings = [_findings(Path(p), p == started, p in remembered) for p in paths]
    return stores


def _documents(folder: Path, upload_max_mb: str | None) -> DocumentStore:
    from gemeingut.apps.rag.ingest_files import UPLOADED
    from gemeingut.apps.rag.storage import list_collections, read_meta

    store = DocumentStore(str(folder), folder.is_dir(), upload_max_mb)
    for name in list_collections(folder):
        try:
            meta = read_meta(folder, name)
            documents = meta.get("documents", {})
            uploaded = sum(
                str(d.get("source", "")).startswith(UPLOADED) for d in documents.values()
            )
            held = CollectionHeld(name, list(meta.get("groups", [])), len(documents), uploaded)
        except (InputError, AttributeError, TypeError):  # a record that is no collection's
            store.unreadable.append(name)
            continue
        store.collections.append(held)
    return store


def _findings(path: Path, from_start: bool, remembered: bool) -> FindingsStore:
    from gemeingut.audit.findings import ANONYMOUS, read_findings

    store = FindingsStore(str(path), from_start, remembered, path.is_file())
    if not store.exists:
        return store
    try:
        found = read_findings(path)
    except InputError as error:
        store.problem = text(error.message)
        return store
    store.findings = len(found)
    store.confirmed = sum(f["status"] == "confirmed" for f in found)
    store.named = sum(f["reporter"] not in (None, "", ANONYMOUS) for f in found)
    return store
