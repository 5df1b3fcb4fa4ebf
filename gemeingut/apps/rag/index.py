"""A collection on disk: documents, chunks, BM25 index and dense vectors, updated incrementally.

Layout of `<root>/<name>/`:
  collection.json   name, owning groups, language, embedder, documents (sha256, chunks) and
                    the current index folder
  files/            a copy of each document (by sha256), for the source viewer
  index-<id>/       chunks.parquet, vectors.npy (with an embedder), bm25/ and, in German,
                    bm25-parts/ (`lexical.py`)

`ingest` reads and embeds only new or changed files (by sha256), keeps the chunks and vectors
of the unchanged, drops files that vanished from an ingested folder, writes a new index folder
and then switches `collection.json` to it in one rename: a reader sees the old index or the
new, never half of one, and a failed ingest leaves the old one as it was.

A document's key is its file name, or for a file found in a folder the folder's name and the
path below it; two files that would share a key refuse the ingest before anything is written.
A file the collection already holds under another key (the same file, or the same content) is
skipped with that key named: a search would find it twice. `remove` takes documents out and
writes a new index the same way. BM25 and the vectors see a chunk's section heading before its
text, so a question may name the heading; the chunk's own text (shown, quoted, checked) is the
passage alone.

Who may see a collection (its groups) is set when it is made and changed only by `set_groups`:
an ingest that merged its `--group` into them would widen access to every document unseen.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from gemeingut.apps.rag.chunking import Chunk, chunk_passages
from gemeingut.apps.rag.embedders import Embedder, EmbedderSpec, open_embedder
from gemeingut.apps.rag.german_terms import WORDS
from gemeingut.apps.rag.lexical import Lexical, write
from gemeingut.apps.rag.readers import READERS, read_document, require_known_format
from gemeingut.errors import InputError
from gemeingut.hashing import sha256_file
from gemeingut.i18n import _, text
from gemeingut.workspace import write_text_atomic

COLLECTION_FILE = "collection.json"
FILES_DIR = "files"
CHUNKS = "chunks.parquet"
VECTORS = "vectors.npy"
LANGUAGES = ("de", "en")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class StoredChunk:
    id: str  # sha256 of the document (16 hex) and the chunk's place in it: stable across ingests
    document: str  # the document's key (its name in the collection)
    page: int | None
    section: str | None
    text: str


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # file -> why
    chunks: int = 0
    groups: list[str] = field(default_factory=list)  # who may see the collection now


class Collection:
    """An opened collection: what `search` reads. Open it again after an ingest."""

    def __init__(self, folder: Path, meta: dict[str, Any]) -> None:
        self.folder = folder
        self.meta = meta
        self.name: str = meta["name"]
        self.groups: list[str] = meta.get("groups", [])
        self.language: str = meta.get("language", "de")
        index = folder / meta["index"] if meta.get("index") else None
        self.chunks = _read_chunks(index / CHUNKS) if index else []
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
                _("collection {name!r} holds no document {key!r}", name=self.name, key=key)
            )
        return self.folder / FILES_DIR / record["file"]

    def visible_to(self, groups: set[str]) -> bool:
        """A collection is seen only by members of a group that owns it."""
        return bool(groups & set(self.groups))


def open_collection(root: Path, name: str) -> Collection:
    return Collection(_folder(root, name), _read_meta(root, name))


def _read_meta(root: Path, name: str) -> dict[str, Any]:
    path = _folder(root, name) / COLLECTION_FILE
    if not path.is_file():
        known = ", ".join(list_collections(root)) or text(_("none"))
        raise InputError(
            _("no collection {name!r} under {root}", name=name, root=str(root)),
            _("known: {known}; create one with gemeingut rag ingest", known=known),
        )
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            _("{path} cannot be read: {problem}", path=str(path), problem=str(exc))
        ) from exc
    return meta


def list_collections(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / COLLECTION_FILE).is_file())


def embedder_spec(meta: dict[str, Any], api_key: str | None = None) -> EmbedderSpec:
    recorded = meta.get("embedder")
    if not recorded:
        raise InputError(_("collection {name!r} has no dense vectors", name=meta["name"]))
    key = api_key or os.environ.get("GEMEINGUT_API_KEY")
    return EmbedderSpec(recorded["source"], recorded.get("model"), key)


def ingest(
    root: Path,
    name: str,
    paths: list[Path],
    groups: list[str] | None = None,
    language: str = "de",
    embed: EmbedderSpec | None = None,
) -> IngestReport:
    """Add or update `paths` (files or folders) in collection `name`, creating it if new;
    `groups` are a new collection's, and must be an existing one's if given."""
    folder = _folder(root, name)
    if language not in LANGUAGES:
        raise InputError(
            _("--language {language!r} is not known", language=language),
            _("use one of {choices}", choices=", ".join(LANGUAGES)),
        )
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise InputError(_("not found: {paths}", paths=", ".join(missing)), _("check the paths"))
    asked = _checked_groups(groups or [])
    report = IngestReport()
    found = _documents(paths, report)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
        meta = _current_meta(folder, name, language)
        meta["groups"] = _groups_after_ingest(meta, asked)
        report.groups = meta["groups"]
        _refuse_other_sources(meta.get("documents", {}), found)
        embedder = _embedder_for(meta, embed)
        old = Collection(folder, meta)
        chunks, vectors = _update(folder, meta, old, paths, found, report, embedder)
        _write_index(folder, meta, chunks, vectors)
        _drop_unused_files(folder, meta)
    return report


def remove(root: Path, name: str, keys: list[str]) -> IngestReport:
    """Take documents out of collection `name`: their chunks, vectors and stored copies. The
    BM25 index is built anew from the chunks that stay and `collection.json` switches to the
    new index in one rename, as after an ingest."""
    folder = _folder(root, name)
    _read_meta(root, name)  # a clear error if there is no such collection
    with _locked(folder):
        old = open_collection(root, name)
        documents = old.meta["documents"]
        _refuse_unknown_keys(name, documents, keys)
        gone = set(keys)
        rows = [r for r, chunk in enumerate(old.chunks) if chunk.document not in gone]
        chunks = [old.chunks[r] for r in rows]
        vectors = np.asarray(old.vectors[rows]) if old.vectors is not None and rows else None
        for key in gone:
            del documents[key]
        _write_index(folder, old.meta, chunks, vectors)
        _drop_unused_files(folder, old.meta)
    return IngestReport(removed=sorted(gone), chunks=len(chunks), groups=old.groups)


def _refuse_unknown_keys(name: str, documents: dict[str, Any], keys: list[str]) -> None:
    unknown = sorted(set(keys) - set(documents))
    if unknown:
        held = sorted(documents)
        shown = ", ".join(held[:10]) + (" …" if len(held) > 10 else "")
        raise InputError(
            _(
                "collection {name!r} holds no document {keys}",
                name=name,
                keys=", ".join(repr(k) for k in unknown),
            ),
            _("its documents: {keys}", keys=shown or text(_("none"))),
        )


def set_groups(
    root: Path,
    name: str,
    replace: list[str] | None = None,
    add: list[str] | None = None,
    drop: list[str] | None = None,
) -> list[str]:
    """Change who may see collection `name` and return its groups; `collection.json` is
    replaced in one rename, and a server opens a collection again when that file changes."""
    if replace is not None and (add or drop):
        raise InputError(
            _("--set names all groups: it cannot be used with --add or --remove"),
            _("use --set alone, or --add and --remove"),
        )
    taken = set(_checked_groups(drop or []))
    folder = _folder(root, name)
    _read_meta(root, name)
    with _locked(folder):
        meta = _read_meta(root, name)
        held = meta.get("groups", [])
        missing = sorted(taken - set(held))
        if missing:
            raise InputError(
                _(
                    "collection {name!r} has no group {groups}",
                    name=name,
                    groups=", ".join(repr(g) for g in missing),
                ),
                _("its groups: {groups}", groups=", ".join(held) or text(_("none"))),
            )
        kept = _checked_groups(replace) if replace is not None else held
        meta["groups"] = sorted((set(kept) | set(_checked_groups(add or []))) - taken)
        _write_meta(folder, meta)
    return meta["groups"]


def _checked_groups(groups: list[str]) -> list[str]:
    """Group names as the server's groups are named: without surrounding spaces, never empty."""
    checked = [g.strip() for g in groups]
    if "" in checked:
        raise InputError(_("a group name is empty"), _("name a group of the server's users"))
    return sorted(set(checked))


def _groups_after_ingest(meta: dict[str, Any], asked: list[str]) -> list[str]:
    """A new collection takes the groups asked for; an existing one keeps its own, and other
    groups asked for refuse the ingest: merging them would open every document to them."""
    held = meta.get("groups", [])
    if "index" not in meta:  # not written yet: a new collection
        return asked
    if not asked or set(asked) == set(held):
        return held
    none = text(_("none"))
    raise InputError(
        _(
            "collection {name!r} is seen by the groups {held}, not {asked}",
            name=meta["name"],
            held=", ".join(held) or none,
            asked=", ".join(asked),
        ),
        _(
            "an ingest does not change who may see a collection: leave out --group to keep its "
            "groups, or change them with gemeingut rag groups {name} --set GROUP",
            name=meta["name"],
        ),
    )


def _update(
    folder: Path,
    meta: dict[str, Any],
    old: Collection,
    paths: list[Path],
    found: dict[str, Path],
    report: IngestReport,
    embedder: Embedder | None,
) -> tuple[list[StoredChunk], np.ndarray | None]:
    """The collection's chunks after this ingest, and their vectors in the same order."""
    documents: dict[str, dict[str, Any]] = meta.setdefault("documents", {})
    old_rows = _rows_by_document(old.chunks)
    reuse = old.vectors is not None  # else every chunk is embedded (an embedder is new)
    chunks: list[StoredChunk] = []
    vectors: list[np.ndarray] = []

    def keep(key: str) -> None:
        rows = old_rows.get(key, [])
        chunks.extend(old.chunks[r] for r in rows)
        if reuse and embedder is not None:
            vectors.append(np.asarray(old.vectors[rows]))

    folders = [p.resolve() for p in paths if p.is_dir()]
    for key in sorted(set(documents) - set(found)):
        if any(Path(documents[key]["source"]).is_relative_to(f) for f in folders):
            report.removed.append(key)
            del documents[key]
        else:
            keep(key)
    digests = {key: sha256_file(path) for key, path in found.items()}
    held = _Held(meta["name"], documents, digests)
    for key, path in sorted(found.items()):
        digest = digests[key]
        if documents.get(key, {}).get("sha256") == digest:
            report.unchanged.append(key)
            documents[key]["source"] = str(path.resolve())  # a file that moved: where it is now
            keep(key)
            continue
        why = held.other_key_for(key, path, digest)
        pieces, why = ([], why) if why else _passages(path)
        if why:
            report.skipped[str(path)] = why
            if key in documents:
                keep(key)  # the last good version stays
            continue
        (report.updated if key in documents else report.added).append(key)
        new = [_stored(key, digest, i, piece) for i, piece in enumerate(pieces)]
        documents[key] = {
            "sha256": digest,
            "file": _store_file(folder, path, digest),
            "source": str(path.resolve()),
            "chunks": len(new),
        }
        chunks.extend(new)
        if reuse and embedder is not None and new:
            vectors.append(embedder.embed([searched_text(c) for c in new]))
    report.chunks = len(chunks)
    if embedder is None or not chunks:
        return chunks, None
    if not reuse:
        return chunks, embedder.embed([searched_text(c) for c in chunks])
    return chunks, np.concatenate([v for v in vectors if len(v)])


def _passages(path: Path) -> tuple[list[Chunk], str]:
    """The chunks of a file, or none and why it is skipped."""
    try:
        pieces = chunk_passages(read_document(path))
    except InputError as exc:
        return [], _reason(exc, path)
    # a file with nothing to find would be stored, listed and never found
    return pieces, "" if pieces else text(_("contains no text to search"))


class _Held:
    """Which key holds a file or a content: a document under two keys is found twice by every
    search (same text, same score) and pushes other sources out of the best k."""

    def __init__(
        self, name: str, documents: dict[str, dict[str, Any]], digests: dict[str, str]
    ) -> None:
        self.name = name
        staying = {k: r for k, r in documents.items() if k not in digests}
        unchanged = {k: r for k, r in documents.items() if r["sha256"] == digests.get(k)}
        self.sources = {r["source"]: k for k, r in staying.items()}
        self.contents: dict[str, str] = {}
        for key, record in sorted((staying | unchanged).items()):
            self.contents.setdefault(record["sha256"], key)

    def other_key_for(self, key: str, path: Path, digest: str) -> str:
        """Why `path` is not taken under `key` (empty if it is); a key taken claims its content."""
        other = self.sources.get(str(path.resolve()))
        if other is not None and other != key:
            return text(
                _(
                    "already in the collection as {key!r}, not taken twice: to update it, "
                    "ingest it as it was ingested; to keep it under the new name, first: "
                    "gemeingut rag remove {name} {key}",
                    key=other,
                    name=self.name,
                )
            )
        other = self.contents.setdefault(digest, key)
        if other != key:
            return text(
                _(
                    "the same content as {key!r} in the collection, not taken twice: to keep "
                    "it under the new name, first: gemeingut rag remove {name} {key}",
                    key=other,
                    name=self.name,
                )
            )
        return ""


def searched_text(chunk: StoredChunk) -> str:
    """What BM25 and the vectors see of a chunk: its section's heading, then its text. A
    heading names what the passage under it is about ("Parkausweis") in words the passage
    itself may never use; the chunk's `text` stays the passage, as shown and quoted."""
    return f"{chunk.section}\n{chunk.text}" if chunk.section else chunk.text


def _reason(error: InputError, path: Path) -> str:
    """Why `path` was skipped, without the path: a reader's error names its file (it is also
    shown alone), the report names it once, beside the reason."""
    return text(error.message).removeprefix(f"{path}: ")


def _documents(paths: list[Path], report: IngestReport) -> dict[str, Path]:
    """Key → file of each document in `paths`. Two files with one key (`a/info.txt`,
    `b/info.txt`) refuse the ingest before anything is written: the second would replace the
    first unseen. Longer keys would avoid the clash, but a key must not change with what else
    is ingested: a later ingest compares keys to find what changed."""
    found: dict[str, Path] = {}
    for key, path in _walk(paths, report):
        first = found.setdefault(key, path)
        if first.resolve() != path.resolve():
            raise InputError(
                _(
                    "{first} and {second} would both be named {key!r} in the collection",
                    first=str(first),
                    second=str(path),
                    key=key,
                ),
                _(
                    "rename one of them, or ingest the folder one level above: a folder's name "
                    "is part of the keys of the documents in it"
                ),
            )
    return found


def _refuse_other_sources(documents: dict[str, dict[str, Any]], found: dict[str, Path]) -> None:
    """A key the collection holds for another file that still exists (`a/info.txt`, ingested
    before `b/info.txt`): the new file would replace the other without a word. A file that
    moved (its old place is gone) updates its document."""
    for key, path in sorted(found.items()):
        recorded = documents.get(key, {}).get("source")
        if recorded and Path(recorded) != path.resolve() and Path(recorded).exists():
            raise InputError(
                _(
                    "{path} would replace {other}, which the collection holds as {key!r}",
                    path=str(path),
                    other=recorded,
                    key=key,
                ),
                _(
                    "rename one of them, or ingest the folder one level above: a folder's name "
                    "is part of the keys of the documents in it"
                ),
            )


def _walk(paths: list[Path], report: IngestReport) -> Iterator[tuple[str, Path]]:
    """(key, file) for every readable document; a folder's key keeps its own name and the
    path below it. Links are not followed: a link could lead out of what was meant to be
    ingested (another group's files)."""
    for path in paths:
        if path.is_symlink():
            report.skipped[str(path)] = text(_("a link: not followed"))
        elif path.is_file():
            require_known_format(path)
            yield path.name, path
        else:
            for file in sorted(_files_below(path, report)):
                yield f"{path.resolve().name}/{file.relative_to(path).as_posix()}", file


def _files_below(folder: Path, report: IngestReport) -> Iterator[Path]:
    for directory, subfolders, files in os.walk(folder):
        subfolders[:] = [d for d in subfolders if not d.startswith(".")]
        for name in files:
            path = Path(directory) / name
            if name.startswith(".") or path.suffix.lower() not in READERS:
                continue
            if path.is_symlink() or not path.is_file():
                report.skipped[str(path)] = text(_("a link or special file: not followed"))
                continue
            yield path


def _embedder_for(meta: dict[str, Any], spec: EmbedderSpec | None) -> Embedder | None:
    """The embedder of the collection's vectors; another one would make them incomparable."""
    recorded = meta.get("embedder")
    if spec is None:
        return open_embedder(embedder_spec(meta)) if recorded else None
    embedder = open_embedder(spec)
    if recorded and (recorded["source"], recorded["model"]) != (spec.source, embedder.name):
        raise InputError(
            _(
                "collection {name!r} holds vectors of {model} ({source}), not of {other} "
                "({other_source})",
                name=meta["name"],
                model=recorded["model"],
                source=recorded["source"],
                other=embedder.name,
                other_source=spec.source,
            ),
            _("ingest with the same --embed, or make a new collection"),
        )
    meta["embedder"] = {"source": spec.source, "model": embedder.name}
    return embedder


def _write_index(
    folder: Path,
    meta: dict[str, Any],
    chunks: list[StoredChunk],
    vectors: np.ndarray | None,
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    index = folder / f"index-{uuid.uuid4().hex[:12]}"
    try:
        index.mkdir()
        columns = {
            "id": [c.id for c in chunks],
            "document": [c.document for c in chunks],
            "page": pa.array([c.page for c in chunks], pa.int32()),
            "section": pa.array([c.section for c in chunks], pa.string()),
            "text": [c.text for c in chunks],
        }
        pq.write_table(pa.table(columns), index / CHUNKS)
        if vectors is not None:
            np.save(index / VECTORS, vectors.astype(np.float32))
            meta["embedder"]["dimensions"] = int(vectors.shape[1])
        if chunks:  # a question is split as the index records
            meta["terms"] = write(index, [searched_text(c) for c in chunks], meta["language"])
        meta["index"] = index.name
        _write_meta(folder, meta)
    except BaseException:
        shutil.rmtree(index, ignore_errors=True)
        raise


def _write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Readers see the old `collection.json` or the new, never half of one."""
    meta["updated"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_text_atomic(
        folder / COLLECTION_FILE, json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
    )


def _current_meta(folder: Path, name: str, language: str) -> dict[str, Any]:
    path = folder / COLLECTION_FILE
    if path.is_file():
        meta = json.loads(path.read_text(encoding="utf-8"))
        if meta.get("language", "de") != language:
            raise InputError(
                _(
                    "collection {name!r} is in {language!r}, not {asked!r}",
                    name=name,
                    language=meta.get("language"),
                    asked=language,
                ),
                _("ingest with the collection's --language, or make a new collection"),
            )
        return meta
    return {"name": name, "groups": [], "language": language, "documents": {}}


def _rows_by_document(chunks: list[StoredChunk]) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for row, chunk in enumerate(chunks):
        rows.setdefault(chunk.document, []).append(row)
    return rows


def _stored(key: str, digest: str, ordinal: int, chunk: Chunk) -> StoredChunk:
    return StoredChunk(f"{digest[:16]}-{ordinal}", key, chunk.page, chunk.section, chunk.text)


def _store_file(folder: Path, path: Path, digest: str) -> str:
    name = digest + path.suffix.lower()
    target = folder / FILES_DIR / name
    if not target.is_file():
        target.parent.mkdir(exist_ok=True)
        tmp = target.with_name(f".{name}.tmp-{os.getpid()}")
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
    return name


def _drop_unused_files(folder: Path, meta: dict[str, Any]) -> None:
    used = {record["file"] for record in meta["documents"].values()}
    for path in (folder / FILES_DIR).glob("*") if (folder / FILES_DIR).is_dir() else []:
        if path.name not in used:
            path.unlink(missing_ok=True)
    for stale in folder.glob("index-*"):
        if stale.name != meta["index"]:
            shutil.rmtree(stale, ignore_errors=True)


def _read_chunks(path: Path) -> list[StoredChunk]:
    import pyarrow.parquet as pq

    table = pq.read_table(path).to_pydict()
    return [
        StoredChunk(*row)
        for row in zip(
            table["id"],
            table["document"],
            table["page"],
            table["section"],
            table["text"],
            strict=True,
        )
    ]


def _folder(root: Path, name: str) -> Path:
    if not _NAME.match(name):
        raise InputError(
            _("{name!r} is not a collection name", name=name),
            _("use letters, digits, '.', '_' and '-' (up to 64), starting with a letter or digit"),
        )
    return root / name


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One ingest at a time per collection; readers need no lock (see the module doc)."""
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
