"""Which training documents the audit read, checked against the bundle's.

`report.json` names each source the audit read (a fine-tune of our own model: the pretraining's
train shards and the fine-tune's own data; a fine-tune of a fine-tune: each earlier fine-tune's
data too, by that fine-tune's id) with each file's sha256 and the number of its documents;
`verify` hashes and counts the bundle's again. A file changed after the audit (its MANIFEST
line rewritten to match), one added or left out, a source in the bundle that the audit did not
read, or documents given with --training-data are named; the memorisation sample is then drawn
again from the sources the report names (`audited_sources`). `release` compares the same way
(`read_problems`) with what the bundle will publish, and refuses such an audit before it
builds, and once more by the copies' MANIFEST lines after (`copied_problems`). Light: the
audit's readers are imported only when a report names training documents.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gemeingut.errors import InputError
from gemeingut.hashing import sha256_file
from gemeingut.i18n import Message, _, plural
from gemeingut.release.layout import AUDIT_REPORT, FINETUNE_DATA, FINETUNE_EARLIER, TRAINING_DATA

if TYPE_CHECKING:
    from gemeingut.audit.subject import Documents

SHOWN = 5
# Where each kind of source lies in a bundle: its folder, and as the problems name it.
_PLACES = {"pretraining": TRAINING_DATA, "finetuning": f"{TRAINING_DATA}/{FINETUNE_DATA}"}
_FOLDERS = {
    "pretraining": f"{TRAINING_DATA}/train-*.parquet",
    "finetuning": f"{TRAINING_DATA}/{FINETUNE_DATA}",
}

Problems = list[str | Message]
# Each file of a source by its name in the report: its path in the bundle, and its sha256.
Located = Callable[["Documents"], dict[str, tuple[str, str]]]


def audited_sources(bundle: Path, said: Any) -> tuple[Documents, ...]:
    """The bundle's training documents of the kinds the report says the audit read (`given`:
    all of them, as one source); a report from before names one kind."""
    from gemeingut.audit.subject import GIVEN, Documents, bundle_sources

    keys = _keys(said)
    held = bundle_sources(bundle / TRAINING_DATA)
    if GIVEN in keys:
        files = tuple(file for source in held for file in source.files)
        return (Documents(GIVEN, files),) if files else ()
    return tuple(source for source in held if source.key in keys)


def _keys(said: Any) -> list[str]:
    """The sources the report names, by `Documents.key`: an earlier fine-tune's data apart."""
    if not isinstance(said, dict):
        return []
    if isinstance(said.get("sources"), list):
        return [_key(s) for s in said["sources"] if isinstance(s, dict)]
    return [str(said.get("kind"))]


def _key(source: dict[str, Any]) -> str:
    from gemeingut.audit.subject import source_key

    model = source.get("model")
    return source_key(str(source.get("kind")), None if model is None else str(model))


def training_data_problems(
    bundle: Path, report: dict[str, Any], listed: Mapping[str, str]
) -> Problems:
    """Each source, file and document count of `report.json`'s training data that the bundle
    does not hold, and each source the bundle holds that the audit did not read. `listed`: the
    MANIFEST's sha256 by path, which the files were checked against (not hashed again). Not
    compared: a report from before the audit recorded its sources."""
    said = report.get("training_data")
    if not _names_sources(said):
        return []
    from gemeingut.audit.subject import bundle_sources

    held = bundle_sources(bundle / TRAINING_DATA)
    return read_problems(said, held, partial(_in_bundle, bundle, listed=listed))[:SHOWN]


def copied_problems(bundle: Path) -> Problems:
    """The release's second look, once the bundle is written: its audit report's training data
    against the copies by the digests its MANIFEST has just computed. The look before the build
    took the digests the artifacts recorded (`subject.published_documents`): a file changed
    since is named here, and no file is read again."""
    from gemeingut.release.manifest import read_manifest

    report = json.loads((bundle / AUDIT_REPORT).read_text(encoding="utf-8"))
    return training_data_problems(bundle, report, read_manifest(bundle))


def read_problems(said: Any, held: Sequence[Documents], located: Located) -> Problems:
    """What the audit read (`said`: report.json's training data) against the training
    documents of a bundle (`held`: those it holds, or at release those it will publish), by
    `verify` and by `release` alike: each source it did not read, each it read that the bundle
    lacks or holds otherwise (a file changed, added or left out, another number of documents),
    and documents given with --training-data, which are no source of the bundle. `located`:
    each file of a held source by its name in the report, with its path in the bundle and its
    sha256."""
    if not _names_sources(said):
        return []
    from gemeingut.audit.subject import GIVEN

    keys = _keys(said)
    found = {source.key: source for source in held}
    problems: Problems = [
        _(
            "the audit did not read {folder}, which the bundle holds ({report} names no such "
            "source)",
            folder=_folder(source),
            report=AUDIT_REPORT,
        )
        for kind, source in found.items()
        if kind not in keys
    ]
    for source in said["sources"]:
        if source["kind"] == GIVEN:
            problems.append(
                _(
                    "{report} says the audit read {files} given with --training-data: not the "
                    "bundle's training data",
                    report=AUDIT_REPORT,
                    files=_files(len(source["files"])),
                )
            )
            continue
        documents = found.get(_key(source))
        kind = str(source["kind"])
        folder = _folder(documents) if documents is not None else _FOLDERS.get(kind, kind)
        if documents is None and source.get("model") is not None:
            problems.append(
                _(
                    "{report} says the audit read the fine-tuning data of {model}, an earlier "
                    "fine-tune of the model's lineage, which the bundle does not hold",
                    report=AUDIT_REPORT,
                    model=str(source["model"]),
                )
            )
            continue
        if documents is None:
            problems.append(
                _(
                    "{report} says the audit read documents from {folder}, which the bundle lacks",
                    report=AUDIT_REPORT,
                    folder=folder,
                )
            )
            continue
        files = _file_problems(source["files"], located(documents), folder)
        problems += files or _count_problems(source["documents"], documents, folder)
    return problems


def read_in_words(said: Any) -> Message | str:
    """The training documents the report says the audit read, source by source."""
    sources = said["sources"] if _names_sources(said) else []
    return _in_words([(str(s["kind"]), s.get("model"), len(s["files"])) for s in sources])


def held_in_words(held: Sequence[Documents]) -> Message | str:
    """A bundle's training documents (held, or to be published), source by source."""
    return _in_words([(source.kind, source.model, len(source.files)) for source in held])


def _in_words(sources: list[tuple[str, Any, int]]) -> Message | str:
    from gemeingut.release.openness.sentences import joined

    if not sources:
        return _("no training documents")
    return joined(
        [
            _("{folder} ({files})", folder=_source_words(kind, model), files=_files(count))
            for kind, model, count in sources
        ]
    )


def _source_words(kind: str, model: Any) -> Message | str:
    from gemeingut.audit.subject import GIVEN

    if kind == GIVEN:
        return _("files given with --training-data")
    if model is not None:
        return _("the fine-tuning data of {model}", model=str(model))
    return _FOLDERS.get(kind, kind)


def _files(count: int) -> Message:
    return plural(count, _("1 file"), _("{count} files", count=count))


def to_publish(documents: Documents) -> dict[str, tuple[str, str]]:
    """Each file of a source a release will publish by its name in the report: the path it
    gets in the bundle (`release/bundle.py` copies the dataset's train shards and the
    fine-tune's data/ there) and its sha256."""
    place = _PLACES[documents.kind]
    if documents.model is not None:  # an earlier fine-tune's data, in its own folder
        place = f"{TRAINING_DATA}/{FINETUNE_EARLIER}/{documents.model}"
    return {name: (f"{place}/{name}", digest) for name, digest in documents.digests.items()}


def _folder(documents: Documents) -> str:
    """Where a held source lies in the bundle, as the problems name it."""
    if documents.model is not None:
        return f"{TRAINING_DATA}/{FINETUNE_EARLIER}/{documents.model}"
    return _FOLDERS.get(documents.kind, documents.kind)


def _names_sources(said: Any) -> bool:
    return isinstance(said, dict) and "sources" in said


def _in_bundle(
    bundle: Path, documents: Documents, listed: Mapping[str, str]
) -> dict[str, tuple[str, str]]:
    """Each file of `documents` by its name in the report: its path in the bundle and sha256."""
    found = {}
    for name, file in documents.named().items():
        rel = file.relative_to(bundle).as_posix()
        found[name] = (rel, listed.get(rel) or sha256_file(file))
    return found


def _file_problems(
    recorded: dict[str, str], found: dict[str, tuple[str, str]], folder: str
) -> Problems:
    """The files that differ from those the report records: changed, lacking or added."""
    problems: Problems = []
    for name, digest in recorded.items():
        if name not in found:
            problems.append(
                _(
                    "{report} names {name} among the files the audit read from {folder}, which "
                    "the bundle lacks",
                    report=AUDIT_REPORT,
                    name=name,
                    folder=folder,
                )
            )
        elif found[name][1] != digest:
            problems.append(
                _(
                    "{file} is not the file the audit read: its sha256 is not the one {report} "
                    "records",
                    file=found[name][0],
                    report=AUDIT_REPORT,
                )
            )
    problems.extend(
        _(
            "{file} is not among the files the audit read, which {report} names",
            file=rel,
            report=AUDIT_REPORT,
        )
        for name, (rel, _digest) in found.items()
        if name not in recorded
    )
    return problems


def _count_problems(said: Any, found: Documents, folder: str) -> Problems:
    from gemeingut.audit.subject import count_documents

    try:
        count = count_documents(found.files)
    except InputError as exc:  # a fine-tune's data that is not what its record counts
        return [exc.message]
    if said == count:
        return []
    return [
        _(
            "{report} says the audit read {said} documents from {folder}, which holds {found}",
            report=AUDIT_REPORT,
            said=str(said),
            folder=folder,
            found=str(count),
        )
    ]
