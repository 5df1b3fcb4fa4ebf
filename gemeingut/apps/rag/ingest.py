"""What a collection holds: `ingest` adds and updates documents, `remove` takes them out.

`ingest` reads and embeds only new or changed files (by sha256), skips one whose text the
collection holds under another key (`ingest_files.Held`), keeps the chunks and vectors
of the unchanged, drops files that vanished from an ingested folder, and writes a new index
that the collection switches to in one rename (`storage.py`). A file that cannot be read is
skipped and named in the report, the others are taken; an ingest that fails (an embedding
endpoint's refusal, a full disk, an interrupt) changes nothing: the old index stays, and the
copies it stored in `files/` are removed again (`storage.NewCopies`). An upload whose file is
skipped is refused whole (`Skipped`), the collection as it was. A document read by another
version of the readers (`storage.READER_FORMAT`) is read again from the collection's own copy,
whether or not this ingest names its file: its pages, sections or text are not those the
readers find now, and one ingest makes the whole collection searchable again
(`collection.Collection.refuse_if_outdated`); where the readers make the same chunks of it
again (a change of the readers concerns few documents), its vectors are kept, not embedded
again. How many control characters each document read held (read as spaces) is in the report,
and how many chunks it embedded again because the model now makes other vectors than the
collection's (`prompted.vectors_made_otherwise`): that ingest took as long as a new one.
A scanned page read before is not OCR'd again (`ocr_cache.py`); the report counts the scanned
pages read and those taken from earlier readings, and how many chunks of which documents were
longer than the encoder reads and embedded by their start (`cuts.py`). The chunks of documents
this ingest was not given but embeds again (read again, or a model that embeds otherwise) are
embedded by `upkeep` where one is passed: a server's upload charges them to its operator, not
to the uploader.

BM25 and the vectors see a chunk's section heading before its text, so a question may name
the heading; the chunk's own text (shown, quoted, checked) is the passage alone.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gemeingut.apps.rag.access import checked_groups, groups_after_ingest
from gemeingut.apps.rag.chunking import Chunk, chunk_passages
from gemeingut.apps.rag.collection import Collection, embedder_spec, open_collection
from gemeingut.apps.rag.cuts import Cut, noting_cuts
from gemeingut.apps.rag.embedders import (
    Embedder,
    EmbedderSpec,
    embedder_failures,
    open_embedder,
    other_width,
)
from gemeingut.apps.rag.ingest_files import (
    UPLOADED,
    Held,
    found_documents,
    refuse_other_sources,
    text_fingerprint,
    text_fingerprints,
)
from gemeingut.apps.rag.ocr_cache import ScanCache
from gemeingut.apps.rag.prompted import (
    document_side,
    document_text,
    refuse_stated_for_a_folder,
    vectors_made_otherwise,
)
from gemeingut.apps.rag.readers import read_counted
from gemeingut.apps.rag.storage import (
    COLLECTION_FILE,
    READER_FORMAT,
    CollectionBusy,
    NewCopies,
    StoredChunk,
    collection_folder,
    drop_unused_files,
    locked,
    read_by_this_reader,
    read_meta,
    searched_text,
    write_index,
)
from gemeingut.errors import InputError
from gemeingut.hashing import sha256_file
from gemeingut.i18n import _, quoted, text
from gemeingut.i18n.visible import visible

LANGUAGES = ("de", "en")


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    reread: list[str] = field(default_factory=list)  # unchanged, read by another reader format
    # each document read by this ingest (added, updated, read again) that held control
    # characters: how many were read as spaces
    control_characters: dict[str, int] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    # chunks embedded again although unchanged: the model makes other vectors than the kept
    # ones (its pooling or prompts, `prompted.vectors_made_otherwise`); 0 where none were
    embedded_again: int = 0
    # scanned PDF pages read with Tesseract, and those taken from an earlier reading of the
    # same file by the same engine (`ocr_cache.py`)
    ocr_pages_read: int = 0
    ocr_pages_reused: int = 0
    # chunks longer than the encoder reads (a local one's context, a remote one's
    # `max_model_len`), embedded by their start (`cuts.py`); `context`: that length in tokens,
    # `cut_by_bytes`: whether a chunk was cut by the byte bound (the engine counts no tokens:
    # shorter than it could read)
    chunks_cut: int = 0
    documents_cut: list[str] = field(default_factory=list)  # those chunks' documents
    cut_in: dict[str, int] = field(default_factory=dict)  # document -> its chunks cut
    context: int | None = None
    cut_by_bytes: bool = False
    skipped: dict[str, str] = field(default_factory=dict)  # file -> why
    unsupported: dict[str, list[str]] = field(default_factory=dict)  # suffix -> a folder's files
    chunks: int = 0
    groups: list[str] = field(default_factory=list)  # who may see the collection now


class Skipped(InputError):
    """An uploaded file that was read but not taken (no text, damaged, the same text under
    another key): `why`, in the reader's words. The ingest switched to nothing."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def ingest(
    root: Path,
    name: str,
    paths: list[Path],
    groups: list[str] | None = None,
    language: str = "de",
    embed: EmbedderSpec | None = None,
    embedder: Embedder | None = None,
    uploaded: bool = False,
    wait: bool = True,
    upkeep: Embedder | None = None,
    prompts: dict[str, str] | None = None,
    key: str | None = None,
) -> IngestReport:
    """Add or update `paths` (files or folders) in collection `name`, creating it if new
    (not where none of them is taken: `nothing_read`, the collection as it was);
    `groups` are a new collection's, and must be an existing one's if given. `embedder` is
    the collection's recorded one already open (a server's model). `uploaded` files (the
    page's, in a temporary folder) replace a document of their key whatever its source was:
    the person sees only the collection's names, not the server's paths, and one that is
    skipped refuses the ingest (`Skipped`). Without `wait` a collection another ingest holds
    is `storage.CollectionBusy`. `upkeep` (default: `embedder`) embeds the chunks of documents
    not in `paths` that the ingest embeds again. Whatever fails or is refused leaves the
    collection as it was: its index, its record, `files/` and its kept scans. `prompts` are
    the `query` and `document` prompts the person states for an endpoint that does not say
    its model's (`prompted.py`), recorded with the collection. `key`: the key of the one file
    in `paths` where it is not its name (an upload, kept under a name of the server's: what
    the server logs of it names no sender's file)."""
    folder = collection_folder(root, name)
    if language not in LANGUAGES:
        raise InputError(
            _("--language '{language}' is not known", language=visible(language)),
            _("use one of {choices}", choices=", ".join(LANGUAGES)),
        )
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise InputError(_("not found: {paths}", paths=", ".join(missing)), _("check the paths"))
    asked = checked_groups(groups or [])
    report = IngestReport()
    found = found_documents(paths, report.skipped, report.unsupported)
    if key is not None:  # one file, written by the server
        [upload] = found.values()
        found = {key: upload}
    with _none_left_if_refused(folder), locked(folder, wait):
        meta = _current_meta(root, name, language)
        meta["groups"] = groups_after_ingest(meta, asked)
        report.groups = meta["groups"]
        if not uploaded:
            refuse_other_sources(meta.get("documents", {}), found)
        before = dict(meta.get("embedder") or {})
        embedder = _embedder_for(meta, embed, embedder, uploaded)
        refuse_stated_for_a_folder(meta, prompts)
        remade = embedder is not None and vectors_made_otherwise(before, meta, embedder, prompts)
        upkeep = document_side(upkeep, meta) if upkeep is not None else None
        embedder = document_side(embedder, meta)
        old = Collection(folder, meta)
        copies = NewCopies(folder)
        scans = ScanCache(folder)
        try:
            with noting_cuts() as cuts:
                index = _NewIndex(old, embedder, upkeep or embedder, keep_vectors=not remade)
                chunks, vectors = _update(
                    meta, index, paths, found, report, copies, scans, uploaded
                )
            report.ocr_pages_read, report.ocr_pages_reused = scans.read, scans.reused
            _say_cuts(report, cuts, chunks, meta)
            if uploaded:
                _refuse_skipped(found, report)
            if nothing_read(report):  # the collection as it was; a new one is not made
                copies.drop()
                scans.drop_added()
                return report
            if remade and old.vectors is not None:  # not a collection's first vectors
                report.embedded_again = len(chunks)
            write_index(folder, meta, chunks, vectors)
        except BaseException:
            copies.drop()
            scans.drop_added()
            raise
        drop_unused_files(folder, meta)
    return report


@contextmanager
def _none_left_if_refused(folder: Path) -> Iterator[None]:
    """The collection's folder; a new one removed again where no record was written (the
    ingest failed, was refused, or read none of its files): no empty collection of that name."""
    made = not (folder / COLLECTION_FILE).is_file()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        yield
    finally:
        if made and not (folder / COLLECTION_FILE).is_file():
            shutil.rmtree(folder, ignore_errors=True)


def nothing_read(report: IngestReport) -> bool:
    """Files given, every one of them skipped, and nothing else changed: an ingest that did
    nothing, which must not read as a success ("0 added")."""
    read = report.added or report.updated or report.unchanged or report.reread
    return bool(report.skipped) and not read and not report.removed


def _say_cuts(
    report: IngestReport, cuts: list[Cut], chunks: list[StoredChunk], meta: dict[str, Any]
) -> None:
    """The chunks the encoder read only the start of, and their documents (found by the text
    embedded, after the collection's document prompt, as `document_side` embeds them)."""
    if not cuts:
        return
    embedded = {cut.text for cut in cuts}
    cut_in = Counter(
        c.document for c in chunks if document_text(meta, searched_text(c)) in embedded
    )
    report.chunks_cut, report.cut_in = len(cuts), dict(sorted(cut_in.items()))
    report.documents_cut = sorted(cut_in)
    report.context = max(cut.context for cut in cuts)
    report.cut_by_bytes = any(cut.by_bytes for cut in cuts)


def _refuse_skipped(found: dict[str, Path], report: IngestReport) -> None:
    """`Skipped` for the first of `found` (an upload: one file) that the ingest skipped."""
    for path in found.values():
        why = report.skipped.get(str(path))
        if why:
            raise Skipped(why)


def remove(root: Path, name: str, keys: list[str], wait: bool = True) -> IngestReport:
    """Take documents out of collection `name`: their chunks, vectors and stored copies. The
    BM25 index is built anew from the chunks that stay and `collection.json` switches to the
    new index in one rename, as after an ingest."""
    folder = collection_folder(root, name)
    read_meta(root, name)  # a clear error if there is no such collection
    with locked(folder, wait):
        old = open_collection(root, name)
        documents = old.meta["documents"]
        _refuse_unknown_keys(name, documents, keys)
        gone = set(keys)
        rows = [r for r, chunk in enumerate(old.chunks) if chunk.document not in gone]
        chunks = [old.chunks[r] for r in rows]
        vectors = np.asarray(old.vectors[rows]) if old.vectors is not None and rows else None
        for key in gone:
            del documents[key]
        write_index(folder, old.meta, chunks, vectors)
        drop_unused_files(folder, old.meta)
    return IngestReport(removed=sorted(gone), chunks=len(chunks), groups=old.groups)


def _refuse_unknown_keys(name: str, documents: dict[str, Any], keys: list[str]) -> None:
    unknown = sorted(set(keys) - set(documents))
    if unknown:
        held = sorted(documents)
        shown = ", ".join(held[:10]) + (" …" if len(held) > 10 else "")
        named = quoted(unknown[:10])
        if len(unknown) > 10:
            named = _("{names} …", names=named)
        raise InputError(
            _(
                "collection '{name}' holds no document {keys}",
                name=name,
                keys=named,
            ),
            _("its documents: {keys}", keys=shown or text(_("none"))),
        )


class _NewIndex:
    """A collection's chunks after an ingest and their vectors in the same order: kept from
    the old index, or new and embedded. Where the old index has no vectors (an embedder is
    new, or its model makes other vectors now: not `keep_vectors`), every chunk is embedded
    at the end. The chunks of the documents the ingest was given are embedded by `embedder`,
    the others' by `upkeep` (the same model, another account)."""

    def __init__(
        self,
        old: Collection,
        embedder: Embedder | None,
        upkeep: Embedder | None,
        keep_vectors: bool,
    ) -> None:
        self.old = old
        self.old_rows = _rows_by_document(old.chunks)
        self.embedder = embedder
        self.upkeep = upkeep
        self.reuse = keep_vectors and old.vectors is not None
        self.chunks: list[StoredChunk] = []
        self.vectors: list[np.ndarray] = []
        self.given: set[str] = set()  # the keys of the documents given to the ingest

    def keep(self, key: str) -> None:
        rows = self.old_rows.get(key, [])
        self.chunks.extend(self.old.chunks[r] for r in rows)
        if self.reuse and self.embedder is not None:
            self.vectors.append(np.asarray(self.old.vectors[rows]))

    def add_or_keep(self, key: str, digest: str, pieces: list[Chunk], given: bool) -> None:
        """A document read again: its old chunks and vectors where the readers made the same
        chunks of it again (most documents, after a change of the readers that concerns few:
        nothing embedded again), else its new chunks, embedded."""
        rows = self.old_rows.get(key, [])
        new = [_stored(key, digest, i, piece) for i, piece in enumerate(pieces)]
        if new == [self.old.chunks[r] for r in rows]:
            self.keep(key)
        else:
            self.add(key, digest, pieces, given)

    def add(self, key: str, digest: str, pieces: list[Chunk], given: bool = True) -> None:
        new = [_stored(key, digest, i, piece) for i, piece in enumerate(pieces)]
        self.chunks.extend(new)
        if given:
            self.given.add(key)
        model = self.embedder if given else self.upkeep
        if self.reuse and model is not None and new:
            with embedder_failures():
                vectors = model.embed([searched_text(c) for c in new])
            want = self.old.vectors.shape[1]
            if vectors.shape[1] != want:  # another model answers where the old vectors' was
                raise other_width(model.name, vectors.shape[1], self.old.name, want)
            self.vectors.append(vectors)

    def all_vectors(self) -> np.ndarray | None:
        if self.embedder is None or not self.chunks:
            return None
        if not self.reuse:
            return self._all_embedded()
        return np.concatenate([v for v in self.vectors if len(v)])

    def _all_embedded(self) -> np.ndarray:
        """Every chunk embedded, in order: the given documents' by `embedder`, the others' by
        `upkeep`."""
        rows: dict[bool, list[int]] = {True: [], False: []}
        for row, chunk in enumerate(self.chunks):
            rows[chunk.document in self.given].append(row)
        vectors: np.ndarray | None = None
        for given, taken in rows.items():
            model = self.embedder if given else self.upkeep
            if not taken or model is None:
                continue
            with embedder_failures():
                made = model.embed([searched_text(self.chunks[r]) for r in taken])
            if vectors is None:
                vectors = np.empty((len(self.chunks), made.shape[1]), np.float32)
            vectors[taken] = made
        assert vectors is not None  # chunks there are, and both embedders or neither
        return vectors


def _update(
    meta: dict[str, Any],
    index: _NewIndex,
    paths: list[Path],
    found: dict[str, Path],
    report: IngestReport,
    copies: NewCopies,
    scans: ScanCache,
    uploaded: bool,
) -> tuple[list[StoredChunk], np.ndarray | None]:
    """The collection's chunks after this ingest (made in `index`), and their vectors in the
    same order; the copies of new documents stored through `copies`, the readings of scanned
    pages kept and reused through `scans`."""

    def source(key: str, path: Path) -> str:
        # an upload's temporary file is gone after the ingest: its key says where it came from
        return f"{UPLOADED}{key}" if uploaded else str(path.resolve())

    documents: dict[str, dict[str, Any]] = meta.setdefault("documents", {})

    def carry(key: str) -> None:
        """A document this ingest does not change: its chunks as they are, or read again from
        the collection's copy where another reader format made them."""
        record = documents[key]
        if not read_by_this_reader(record):
            pieces, why = _passages(copies.files / record["file"], report, key, scans)
            if not why:
                report.reread.append(key)
                index.add_or_keep(key, record["sha256"], pieces, given=key in found)
                record.update(chunks=len(pieces), reader=READER_FORMAT)
                return
            report.skipped.setdefault(record["source"], why)  # old chunks stay, not searched
        index.keep(key)

    folders = [p.resolve() for p in paths if p.is_dir()]
    for key in sorted(set(documents) - set(found)):
        if any(Path(documents[key]["source"]).is_relative_to(f) for f in folders):
            report.removed.append(key)
            del documents[key]
        else:
            carry(key)
    digests = {key: sha256_file(path) for key, path in found.items()}
    held = Held(meta["name"], documents, digests, text_fingerprints(index.old.chunks), uploaded)
    for key, path in sorted(found.items()):
        digest = digests[key]
        if documents.get(key, {}).get("sha256") == digest:
            if read_by_this_reader(documents[key]):
                report.unchanged.append(key)
            documents[key]["source"] = source(key, path)  # a file that moved: where it is now
            carry(key)
            continue
        why = held.other_key_for(key, path, digest)
        pieces, why = ([], why) if why else _passages(path, report, key, scans)
        why = why or held.other_key_with_text(key, text_fingerprint(pieces))
        if why:
            report.control_characters.pop(key, None)  # of a file not taken
            report.skipped[str(path)] = why
            if key in documents:
                carry(key)  # the last good version stays
            continue
        (report.updated if key in documents else report.added).append(key)
        documents[key] = {
            "sha256": digest,
            "file": copies.store(path, digest),
            "source": source(key, path),
            "chunks": len(pieces),
            "reader": READER_FORMAT,
        }
        index.add(key, digest, pieces)
    report.chunks = len(index.chunks)
    return index.chunks, index.all_vectors()


def _passages(
    path: Path, report: IngestReport, key: str, scans: ScanCache
) -> tuple[list[Chunk], str]:
    """The chunks of a file, or none and why it is skipped; the control characters read as
    spaces counted in `report` under the document's `key`."""
    try:
        passages, controls = read_counted(path, scans)
        pieces = chunk_passages(passages)
    except InputError as exc:
        return [], _reason(exc, path)
    if controls:
        report.control_characters[key] = controls
    # a file with nothing to find would be stored, listed and never found
    return pieces, "" if pieces else text(_("contains no text to search"))


def _reason(error: InputError, path: Path) -> str:
    """Why `path` was skipped, without the path: a reader's error names its file (it is also
    shown alone), the report names it once, beside the reason."""
    return text(error.message).removeprefix(f"{path}: ")


def _embedder_for(
    meta: dict[str, Any],
    spec: EmbedderSpec | None,
    opened: Embedder | None = None,
    uploaded: bool = False,
) -> Embedder | None:
    """The embedder of the collection's vectors; another one would make them incomparable.
    One that cannot be opened is an `EmbedderFailed`. An upload's is the one its server
    passed (`opened`, metered for the person uploading): where the collection records another
    (an operator's `rag ingest --embed` finished meanwhile), it is `CollectionBusy`, never an
    embedder opened here outside the uploader's quota and the model's queue."""
    recorded = meta.get("embedder")
    if spec is None:
        if opened is not None and recorded and recorded["model"] == opened.name:
            return opened
        if not recorded:
            return None
        if uploaded:
            raise CollectionBusy(
                _("the collection's embedding model changed while the file was sent"),
                _("send the file again"),
            )
        recorded_spec = embedder_spec(meta)
        _refuse_a_folder_without_its_model(meta["name"], recorded_spec, recorded["model"])
        with embedder_failures():
            return open_embedder(recorded_spec)
    with embedder_failures():
        embedder = open_embedder(spec)
    if recorded and (recorded["source"], recorded["model"]) != (spec.source, embedder.name):
        raise InputError(
            _(
                "collection '{name}' holds vectors of {model} ({source}), not of {other} "
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


def _refuse_a_folder_without_its_model(name: str, spec: EmbedderSpec, model: str) -> None:
    """An `InputError` where the model folder the collection's vectors came from holds no
    model now (moved, deleted, a collection copied from another machine): said as the
    collection's, not as an `--embed` nobody gave."""
    if not spec.holds_no_model:
        return
    raise InputError(
        _(
            "collection {name} was embedded with the model {model} from {source}, which "
            "holds no model now",
            name=quoted([name]),
            model=quoted([model]),
            source=spec.source,
        ),
        _(
            "put the model back at {source}, or ingest the documents into a new collection "
            "with another --embed",
            source=spec.source,
        ),
    )


def _current_meta(root: Path, name: str, language: str) -> dict[str, Any]:
    """The collection's record, or a new collection's."""
    if (collection_folder(root, name) / COLLECTION_FILE).is_file():
        meta = read_meta(root, name)
        if meta.get("language", "de") != language:
            raise InputError(
                _(
                    "collection '{name}' is in '{language}', not '{asked}'",
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
    place = f"{digest[:16]}-{ordinal}"
    return StoredChunk(place, key, chunk.page, chunk.section, chunk.text, chunk.lines)
