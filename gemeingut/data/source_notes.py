"""What a curate run tells about its sources beyond `in = kept + excluded`: what happened
without a word otherwise. Documents without a licence of their own took their source's (as a
recipe source and `--license` both intend, but a person should see how many did), files of a
folder that no reader takes were left out (and those in its hidden folders, `.git` and the
like, which the reader does not enter), a source held no documents at all; and when no
source holds one, the run is refused before a dataset of nothing is written."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from gemeingut.data.licence_hints import meant_expression
from gemeingut.data.readers import FOLDER_SUFFIXES, Unread, infer_format, unread_files
from gemeingut.data.tasks import Task
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, listed, plural
from gemeingut.recipe import SourceSpec
from gemeingut.release.openness.sentences import joined

READ_SUFFIXES = ", ".join(FOLDER_SUFFIXES)  # what a folder's reader takes, as it is said
_KINDS = {
    "jsonl": _("a JSONL file without a JSON line"),
    "parquet": _("a Parquet file without rows"),
    "hf": _("a saved dataset without rows"),
    "folder": _("a folder with no file read (only {suffixes} are)", suffixes=READ_SUFFIXES),
}


@dataclass
class SourceRead:
    """What phase 1 read of one source: its documents, and the source's licence given to those
    that named none (by licence: a saved dataset's own may stand for the source's)."""

    documents: int = 0
    given: Counter[str] = field(default_factory=Counter)


def source_reads(
    sources: list[SourceSpec], tasks: list[Task], task_stats: list[dict[str, Any]]
) -> dict[str, SourceRead]:
    read = {spec.name: SourceRead() for spec in sources}
    for task, stats in zip(tasks, task_stats, strict=True):
        of_source = read[sources[task.source].name]
        of_source.documents += stats["read"]
        of_source.given.update(stats.get("given_licence", {}))
    return read


def source_notes(sources: list[SourceSpec], read: dict[str, SourceRead]) -> dict[str, Any]:
    """The stats keys: `licence_from_source` (source → licence → documents), `unread_files`
    (folder source → suffix → files), `hidden_folders` (folder source → hidden folder →
    files) and `empty_sources`."""
    unread = {spec.name: _unread(spec) for spec in sources}
    return {
        "licence_from_source": {
            name: dict(got.given.most_common()) for name, got in read.items() if got.given
        },
        "unread_files": {name: files.suffixes for name, files in unread.items() if files.suffixes},
        "hidden_folders": {name: files.hidden for name, files in unread.items() if files.hidden},
        "empty_sources": [name for name, got in read.items() if got.documents == 0],
    }


def no_documents(sources: list[SourceSpec]) -> InputError:
    """The refusal of a run whose sources hold no document: each named with what it is."""
    said = [
        _("{source!r} ({path}: {kind})", source=spec.name, path=spec.path, kind=_kind(spec))
        for spec in sources
    ]
    return InputError(
        plural(
            len(sources),
            _("the source holds no documents: {sources}", sources=joined(said)),
            _("none of the sources holds a document: {sources}", sources=joined(said)),
        ),
        _(
            "name sources that hold documents: JSONL files (also .gz or .zst) with a JSON object "
            "with a `text` field on each line, Parquet files or saved Hugging Face datasets with "
            "a `text` column, or folders of text files ({suffixes})",
            suffixes=READ_SUFFIXES,
        ),
    )


def curate_notes(stats: dict[str, Any]) -> list[Message]:
    """What a person should know of a run besides its counts, one sentence each."""
    notes: list[Message] = []
    for source, licences in stats.get("licence_from_source", {}).items():
        for licence, count in licences.items():
            said = {"count": count, "source": source, "licence": licence}
            notes.append(plural(
                count,
                _("{count} document without a licence of its own was given the licence of "
                  "source {source!r}: {licence}", **said),
                _("{count} documents without a licence of their own were given the licence of "
                  "source {source!r}: {licence}", **said),
            ))  # fmt: skip
    for source, files in stats.get("unread_files", {}).items():
        said = {"count": sum(files.values()), "source": source, "files": _files(files),
                "suffixes": READ_SUFFIXES}  # fmt: skip
        notes.append(plural(
            said["count"],
            _("source {source!r}: {count} file not read (only {suffixes} are): {files}",
              **said),
            _("source {source!r}: {count} files not read (only {suffixes} are): {files}",
              **said),
        ))  # fmt: skip
    for source, folders in stats.get("hidden_folders", {}).items():
        said = {"count": sum(folders.values()), "source": source, "folders": _folders(folders)}
        notes.append(plural(
            said["count"],
            _("source {source!r}: {count} file in hidden folders not read ({folders})", **said),
            _("source {source!r}: {count} files in hidden folders not read ({folders})", **said),
        ))  # fmt: skip
    notes += [
        _("source {source!r} holds no documents", source=source)
        for source in stats.get("empty_sources", [])
    ]
    for licence, count in stats.get("excluded_by_license", {}).items():
        if meant := meant_expression(licence):  # None but for a licence the gate cannot name
            said = {"count": count, "licence": licence, "meant": meant}
            notes.append(plural(
                count,
                _("{count} document with the licence {licence!r} was excluded: did you mean "
                  "{meant}?", **said),
                _("{count} documents with the licence {licence!r} were excluded: did you mean "
                  "{meant}?", **said),
            ))  # fmt: skip
    return notes


def _unread(spec: SourceSpec) -> Unread:
    if (spec.format or infer_format(spec.path)) != "folder":
        return Unread({}, {})
    return unread_files(spec.path)


def _kind(spec: SourceSpec) -> Message:
    fmt = spec.format or infer_format(spec.path)
    kind = _KINDS[fmt]
    unread = _unread(spec)
    if unread.suffixes:
        kind = _("{kind}; not read: {files}", kind=kind, files=_files(unread.suffixes))
    if unread.hidden:
        kind = _(
            "{kind}; not read, in hidden folders: {folders}",
            kind=kind,
            folders=_folders(unread.hidden),
        )
    return kind


def _files(files: dict[str, int]) -> Message | str:
    """`2 × .jsonl, 1 × .pdf`; a file without a suffix counted as such."""
    said: list[Message | str] = [
        f"{count} × {suffix}" if suffix else _("{count} × without suffix", count=count)
        for suffix, count in files.items()
    ]
    return listed(said)


def _folders(folders: dict[str, int]) -> str:
    """`.git`, or `.git: 1204, docs/.obsidian: 3`: each hidden folder, with the files it
    holds where there are several (the sentence says how many in all)."""
    if len(folders) == 1:
        return next(iter(folders))
    return ", ".join(f"{folder}: {count}" for folder, count in folders.items())
