"""Readers turn files into `Document`s; a broken record becomes an exclusion, never a crash.

Per-source defaults from the recipe (licence, url, attribution) fill fields a document does not
carry itself; a document's own fields always win. Only an input path that cannot be read at all
(missing, no permission, unknown format) raises `InputError`; anything wrong inside it (a broken
line, an unreadable file in a folder, an HTML page without text, a document over `max_chars`)
becomes an exclusion that names the file and line or row, so `in == kept + excluded` holds.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from gemeingut.data.compressed import STREAM_ERRORS, open_compressed
from gemeingut.data.documents import Document, Exclusion, ExclusionSink
from gemeingut.data.html import html_text
from gemeingut.data.licence_field import VALID_LICENCE, InvalidLicence, stated_licence
from gemeingut.data.line_spans import LineSpan, open_span
from gemeingut.errors import InputError
from gemeingut.i18n import _, recorded, text
from gemeingut.recipe import SourceSpec

FORMATS = ("jsonl", "parquet", "folder", "hf")
_COLUMNS = ("id", "text", "license", "url", "attribution")  # what a record may carry
HTML_SUFFIXES = (".html", ".htm")
FOLDER_SUFFIXES = (".txt", ".md", *HTML_SUFFIXES)
JSONL_SUFFIXES = (
    *(base + packed for base in (".jsonl", ".json", ".ndjson") for packed in ("", ".gz", ".zst")),
    ".zst",
)
DEFAULT_MAX_CHARS = 5_000_000  # what a recipe should default to; read_source itself has no limit
# UTF-8 needs at most 4 bytes per character: a file larger than 4 x max_chars bytes cannot hold
# an acceptable document (for HTML the markup counts too, a deliberate guard on the parser).
MAX_BYTES_PER_CHAR = 4
# A JSON string escapes one character in at most 12 bytes (a surrogate pair as \ud83d\ude00);
# a JSONL line longer than this (plus room for the other fields) is not even parsed.
_JSON_BYTES_PER_CHAR = 12
_JSON_LINE_OVERHEAD = 1 << 20
_ROWS_PER_BATCH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")

NO_TEXT_HINT = _("name the text column `text`")


def read_source(
    spec: SourceSpec,
    exclude: ExclusionSink,
    rows: tuple[int, int] | None = None,
    *,
    max_chars: int | None = None,
    span: LineSpan | None = None,
) -> Iterator[Document]:
    """Yield the documents of one source (for Parquet: of the row range; for JSONL: of the
    line span), whatever its format.

    Documents whose text is longer than `max_chars` characters become `too-large` exclusions.
    """
    path = spec.path
    if not path.exists():
        raise InputError(
            _("input {path} (source {source!r}) does not exist", path=path, source=spec.name),
            _("check the path"),
        )
    if not os.access(path, os.R_OK):
        raise InputError(
            _(
                "input {path} (source {source!r}) cannot be read: permission denied",
                path=path,
                source=spec.name,
            ),
            _("check the permissions of the file or folder"),
        )
    fmt = spec.format or infer_format(path)
    out = _Output(spec, exclude, max_chars)
    if fmt == "folder":
        yield from _read_folder(out)
    elif fmt == "parquet":
        yield from _read_parquet(out, rows)
    elif fmt == "hf":
        yield from _read_hf(out)
    elif fmt == "jsonl":
        yield from _read_jsonl(out, span)
    else:
        raise InputError(
            _("unknown format {name!r} for {path}", name=fmt, path=path),
            _("one of {choices}", choices=", ".join(FORMATS)),
        )


def infer_format(path: Path) -> str:
    if path.is_dir():
        if (path / "state.json").exists() or (path / "dataset_dict.json").exists():
            return "hf"
        return "folder"
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    raise InputError(
        _("cannot tell the format of {path}", path=path),
        _(
            "use .jsonl (optionally .gz or .zst), .parquet, a saved Hugging Face dataset or a "
            "folder of .txt/.md/.html files, or set `format` in the recipe"
        ),
    )


@dataclass
class _Output:
    """Where a reader's results go: documents are returned, everything else is excluded."""

    spec: SourceSpec
    exclude: ExclusionSink
    max_chars: int | None

    def reject(
        self,
        doc_id: str,
        location: str,
        detail: str,
        licence: str | None = None,
        *,
        reason: str = "invalid-record",
    ) -> None:
        location, detail = self.shown(location), self.shown_in(detail)
        self.exclude(Exclusion(doc_id, self.spec.name, location, reason, licence, detail))

    def shown(self, location: str) -> str:
        """Locations relative to the source's folder: exclusion records get published, and a
        local absolute path (with its user name) has no place in open data."""
        prefix = str(self.spec.path.parent) + os.sep
        return location.removeprefix(prefix)

    def shown_in(self, detail: str) -> str:
        """An error message may quote the file's absolute path: keep only the relative part."""
        return detail.replace(str(self.spec.path.parent) + os.sep, "")

    def too_large(self, size: int, unit: str = "characters") -> str:
        return f"{size:,} {unit}, more than max_chars={self.max_chars:,} allows"

    def document(self, record: dict[str, Any], fallback_id: str, location: str) -> Document | None:
        try:
            own = stated_licence(record)
        except InvalidLicence as invalid:
            detail = recorded(_("{problem}: {valid}", problem=invalid.problem, valid=VALID_LICENCE))
            self.reject(fallback_id, location, detail, reason="licence-unparseable")
            return None
        doc = _document(self.spec, record, own, fallback_id, self.shown(location))
        if self.max_chars is not None and len(doc.text) > self.max_chars:
            detail = self.too_large(len(doc.text))
            self.reject(doc.id, location, detail, doc.license, reason="too-large")
            return None
        return doc

    def row_document(
        self, record: dict[str, Any], fallback_id: str, location: str
    ) -> Document | None:
        """A Parquet or Arrow row: the column types are fixed, only `text` may be unusable."""
        text = record.get("text")
        if not isinstance(text, str):
            detail = "`text` is empty (null)" if text is None else "`text` is not a string"
            self.reject(fallback_id, location, detail)
            return None
        return self.document(record, fallback_id, location)


def _document(
    spec: SourceSpec, record: dict[str, Any], own: str | None, fallback_id: str, location: str
) -> Document:
    """`own`: the licence the record states (`stated_licence`), None where it states none."""

    def field(name: str, default: str | None) -> str | None:
        value = record.get(name)
        return str(value) if value not in (None, "") else default

    # An explicit empty licence field means "no licence", not "use the source's".
    from_source = own is None and spec.license is not None
    licence = spec.license if own is None else own
    return Document(
        id=field("id", None) or fallback_id,
        text=record["text"],
        source=spec.name,
        license=licence,
        url=field("url", spec.url),
        attribution=field("attribution", spec.attribution),
        location=location,
        licence_from_source=from_source,
    )


# --- JSONL ------------------------------------------------------------------------------------


def _read_jsonl(out: _Output, span: LineSpan | None) -> Iterator[Document]:
    path, name = out.spec.path, out.spec.name
    limit = None
    if out.max_chars is not None:
        limit = out.max_chars * _JSON_BYTES_PER_CHAR + _JSON_LINE_OVERHEAD
    first = span.first_line if span is not None else 1
    number = first - 1
    try:
        with open_compressed(path) if span is None else open_span(path, span) as handle:
            for number, raw in enumerate(_lines(handle, limit), start=first):
                location, fallback_id = f"{path}:{number}", f"{name}/{number}"
                if raw is None:
                    detail = f"line of more than {limit:,} bytes, not parsed"
                    detail += f" (max_chars={out.max_chars:,})"
                    out.reject(fallback_id, location, detail, out.spec.license, reason="too-large")
                    continue
                if number == 1 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8) :]
                record = _json_record(out, raw, fallback_id, location)
                if record is not None and (doc := out.document(record, fallback_id, location)):
                    yield doc
    except STREAM_ERRORS as exc:
        if number == 0 and not isinstance(exc, EOFError):  # not compressed as its name says
            raise InputError(
                _(
                    "{path} (source {source!r}) cannot be read: {error}",
                    path=path,
                    source=name,
                    error=str(exc),
                ),
                _("check that the file is complete and that its compression matches its name"),
            ) from None
        out.reject(
            f"{name}/{number + 1}",
            f"{path}:{number + 1}",
            f"the file is cut off or damaged after line {number}; the rest is lost: {exc}",
            out.spec.license,
        )


def _lines(handle: IO[bytes], limit: int | None) -> Iterator[bytes | None]:
    """The lines of a binary stream; a line longer than `limit` bytes is skipped and yields None,
    so a runaway line is never held in memory."""
    if limit is None:
        yield from handle
        return
    while raw := handle.readline(limit + 1):
        if len(raw) <= limit or raw.endswith(b"\n"):
            yield raw
            continue
        while (rest := handle.readline(1 << 20)) and not rest.endswith(b"\n"):
            pass
        yield None


_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number"}


def _json_record(
    out: _Output, raw: bytes, fallback_id: str, location: str
) -> dict[str, Any] | None:
    """The JSON object on one line, or None (blank line, or excluded with the reason)."""
    if not raw.strip():
        return None
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.reject(fallback_id, location, f"not valid UTF-8: byte {exc.start} of the line")
        return None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        out.reject(fallback_id, location, f"not a JSON line: {exc}")
        return None
    if not isinstance(record, dict):
        kind = _JSON_TYPES.get(type(record), json.dumps(record))
        out.reject(fallback_id, location, f"a line must be a JSON object, not {kind}")
        return None
    if not isinstance(record.get("text"), str):
        out.reject(fallback_id, location, "a line must be a JSON object with a string field `text`")
        return None
    # "\ud800" is valid JSON but not valid Unicode: it could not be written out again.
    if any(isinstance(record.get(c), str) and _SURROGATE.search(record[c]) for c in _COLUMNS):
        out.reject(fallback_id, location, "contains a lone surrogate escape (\\ud800-\\udfff)")
        return None
    return record


# --- Parquet and saved Hugging Face datasets (Arrow) -------------------------------------------


def _read_parquet(out: _Output, rows: tuple[int, int] | None) -> Iterator[Document]:
    path, name = out.spec.path, out.spec.name
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise InputError(
            _("{path} is not a readable Parquet file: {error}", path=path, error=str(exc)),
            _("check the file"),
        ) from None
    names = parquet.schema_arrow.names
    if "text" not in names:
        raise InputError(_("{path} has no `text` column", path=path), NO_TEXT_HINT)
    start, stop = rows or (0, parquet.metadata.num_rows)
    wanted = [c for c in _COLUMNS if c in names]
    row = 0  # rows before this batch
    # Small batches, no decoding threads: a batch of long documents is tens of MB, in Arrow
    # and again as Python objects, and a worker is one of several processes on the machine.
    batches = parquet.iter_batches(columns=wanted, batch_size=_ROWS_PER_BATCH, use_threads=False)
    for batch in batches:
        first, row = row, row + batch.num_rows
        if first >= stop:
            break
        if row <= start:
            continue
        window = batch.slice(max(start - first, 0), min(stop, row) - max(start, first))
        for offset, record in enumerate(window.to_pylist(), start=max(start, first) + 1):
            doc = out.row_document(record, f"{name}/{offset}", f"{path}:row {offset}")
            if doc is not None:
                yield doc


def _read_hf(out: _Output) -> Iterator[Document]:
    """A folder written by `datasets.Dataset.save_to_disk` (or a `DatasetDict`'s), read with
    pyarrow alone: the heavy `datasets` package is not needed to read what it wrote."""
    source = out
    for split, folder in _hf_splits(source.spec.path):
        out = _with_dataset_info(source, folder)
        prefix = f"{out.spec.name}/{split}" if split else out.spec.name
        try:
            files = _hf_data_files(folder)
        except (OSError, ValueError) as exc:
            if split is None:
                raise InputError(
                    _(
                        "{path} is not a readable saved dataset: {error}",
                        path=folder,
                        error=str(exc),
                    ),
                    _("save it again with `Dataset.save_to_disk` or set another `format`"),
                ) from None
            reason = exc.args[0] if isinstance(exc, ValueError) and exc.args else exc
            # in English whatever the machine's language: records must not depend on a locale
            detail = f"split {split!r} cannot be read: {text(reason, 'en')}"
            out.reject(prefix, str(folder), detail, out.spec.license)
            continue
        row = 0  # rows of this split so far: ids are `source/split/row`, counted from 1
        for filename in files:
            path = folder / filename
            file_row = 0
            try:
                for record in _arrow_records(path):
                    file_row += 1
                    row += 1
                    doc = out.row_document(record, f"{prefix}/{row}", f"{path}:row {file_row}")
                    if doc is not None:
                        yield doc
            except (OSError, pa.ArrowException) as exc:
                out.reject(
                    f"{prefix}/{filename}",
                    f"{path}:row {file_row + 1}",
                    f"Arrow file unreadable after {file_row} rows: {exc}",
                    out.spec.license,
                )


def _with_dataset_info(out: _Output, folder: Path) -> _Output:
    """The dataset's own `license` and `homepage` (its `dataset_info.json`) as the source's
    licence and url where the recipe gives none; the recipe's and each record's win."""
    try:
        info = json.loads((folder / "dataset_info.json").read_text("utf-8"))
    except (OSError, ValueError):
        return out
    if not isinstance(info, dict):
        return out
    spec = out.spec
    update = {}
    if spec.license is None and isinstance(info.get("license"), str) and info["license"].strip():
        update["license"] = info["license"].strip()
    if spec.url is None and isinstance(info.get("homepage"), str) and info["homepage"].strip():
        update["url"] = info["homepage"].strip()
    if not update:
        return out
    return _Output(spec.model_copy(update=update), out.exclude, out.max_chars)


def _hf_splits(root: Path) -> list[tuple[str | None, Path]]:
    marker = root / "dataset_dict.json"
    if not marker.exists():
        return [(None, root)]
    try:
        splits = json.loads(marker.read_text("utf-8"))["splits"]
        if not all(isinstance(s, str) and _plain_name(s) for s in splits):
            raise ValueError(
                _("split names must be plain folder names: {splits}", splits=str(splits))
            )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            _("{path} cannot be read: {error}", path=marker, error=str(exc)),
            _("save the DatasetDict again with `save_to_disk`"),
        ) from None
    return [(split, root / split) for split in splits]


def _hf_data_files(folder: Path) -> list[str]:
    state = json.loads((folder / "state.json").read_text("utf-8"))
    try:
        names = [entry["filename"] for entry in state["_data_files"]]
    except (KeyError, TypeError):
        raise ValueError(_("state.json lists no `_data_files`")) from None
    bad = [n for n in names if not isinstance(n, str) or not _plain_name(n)]
    if bad:
        raise ValueError(_("state.json names files outside its folder: {files}", files=str(bad)))
    return names


def _plain_name(name: str) -> bool:
    return name not in ("", ".", "..") and "/" not in name and "\\" not in name


def _arrow_records(path: Path) -> Iterator[dict[str, Any]]:
    with pa.memory_map(str(path)) as source:
        reader = pa.ipc.open_stream(source)
        names = reader.schema.names
        if "text" not in names:
            raise InputError(_("{path} has no `text` column", path=path), NO_TEXT_HINT)
        wanted = [c for c in _COLUMNS if c in names]
        for batch in reader:
            batch = batch.select(wanted)
            for start in range(0, batch.num_rows, _ROWS_PER_BATCH):
                yield from batch.slice(start, _ROWS_PER_BATCH).to_pylist()


# --- Folders of .txt, .md and .html files ------------------------------------------------------


def _read_folder(out: _Output) -> Iterator[Document]:
    root, licence = out.spec.path, out.spec.license
    for file in _folder_files(out):
        doc_id = f"{out.spec.name}/{file.relative_to(root).as_posix()}"
        location = str(file)
        refusal = _not_a_source_file(file, root)
        if refusal:
            out.reject(doc_id, location, refusal, licence, reason="not-a-source-file")
            continue
        try:
            size = file.stat().st_size
            if out.max_chars is not None and size > MAX_BYTES_PER_CHAR * out.max_chars:
                detail = out.too_large(size, "bytes") + " (not read)"
                out.reject(doc_id, location, detail, licence, reason="too-large")
                continue
            raw = file.read_bytes()
        except OSError as exc:  # strerror: the message without the local path
            out.reject(
                doc_id, location, f"unreadable: {exc.strerror or type(exc).__name__}", licence
            )
            continue
        text, problem = _file_text(file, raw)
        if text is None:
            out.reject(doc_id, location, problem, licence)
        elif doc := out.document({"id": doc_id, "text": text}, doc_id, location):
            yield doc


def _not_a_source_file(file: Path, root: Path) -> str:
    """Why a folder entry is not read as a document, or ''. A link may lead out of the source
    folder to text whose licence nobody stated; a FIFO or device would block the reader."""
    try:
        if file.is_symlink():
            target = file.resolve()
            if not target.is_relative_to(root.resolve()):
                return "a link to a file outside the source folder (its licence is unknown)"
        mode = file.stat().st_mode
    except OSError as exc:
        return f"unreadable: {exc.strerror or type(exc).__name__}"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, socket or device)"
    return ""


@dataclass(frozen=True)
class Unread:
    """The files of a source folder that are not read: by suffix (`""` for none) those the
    reader passes over, and by hidden folder (its path in the source) those it never enters."""

    suffixes: dict[str, int]
    hidden: dict[str, int]


def unread_files(root: Path) -> Unread:
    """What a run leaves out of a source folder, so that it can say so; the folders are walked
    as the reader walks them (linked ones not followed, hidden ones not entered, their files
    counted per hidden folder nearest the source)."""
    suffixes: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for folder, subfolders, names in os.walk(root):
        for name in entered_not(folder, subfolders):
            files = sum(len(inner) for _folder, _subfolders, inner in os.walk(Path(folder, name)))
            hidden[Path(folder, name).relative_to(root).as_posix()] = files
        for name in names:
            if not name.lower().endswith(FOLDER_SUFFIXES):
                suffix = Path(name).suffix.lower()
                suffixes[suffix] = suffixes.get(suffix, 0) + 1
    return Unread(_most_first(suffixes), _most_first(hidden))


def entered_not(folder: str, subfolders: list[str]) -> list[str]:
    """Removes the hidden folders (`.git`, `.venv`, an editor's `.obsidian`) from an
    `os.walk` listing and returns them. A source folder is often a checkout or a working
    copy: a version control's internals, an environment or an editor's backups are no texts
    of the corpus, and a Markdown file among them (a `.github` template) was never meant as
    one. Linked folders stay, for the reader to name them."""
    hidden = [n for n in subfolders if n.startswith(".") and not Path(folder, n).is_symlink()]
    for name in hidden:
        subfolders.remove(name)
    return hidden


def _most_first(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _folder_files(out: _Output) -> list[Path]:
    """Every file with a known suffix, sorted; unreadable sub-folders and linked folders (not
    followed: they may lead anywhere) are excluded with a reason, hidden folders not entered
    (`entered_not`: the run says how many files they hold)."""
    root = out.spec.path
    failures: list[OSError] = []
    files: list[Path] = []
    for folder, subfolders, names in os.walk(root, onerror=failures.append):
        subfolders.sort()
        entered_not(folder, subfolders)
        for name in [n for n in subfolders if Path(folder, n).is_symlink()]:
            subfolders.remove(name)
            linked = Path(folder, name)
            out.reject(
                f"{out.spec.name}/{linked.relative_to(root).as_posix()}",
                str(linked),
                "a link to a folder, not followed (its files' licence is unknown)",
                out.spec.license,
                reason="not-a-source-file",
            )
        files += [Path(folder, n) for n in names if n.lower().endswith(FOLDER_SUFFIXES)]
    for error in failures:
        if Path(error.filename) == root:
            raise InputError(
                _("folder {path} cannot be read: {error}", path=root, error=str(error)),
                _("check its permissions"),
            )
        relative = Path(error.filename).relative_to(root).as_posix()
        out.reject(
            f"{out.spec.name}/{relative}",
            str(error.filename),
            f"folder unreadable, its files are lost: {error.strerror}",
            out.spec.license,
        )
    return sorted(files, key=lambda p: p.relative_to(root).parts)


def _file_text(file: Path, raw: bytes) -> tuple[str | None, str]:
    """The text of one file, or None and why not."""
    if file.suffix.lower() in HTML_SUFFIXES:
        return html_text(raw)
    try:
        return raw.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        return None, f"unreadable or not UTF-8: {exc}"
