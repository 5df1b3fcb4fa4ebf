"""Which model an audit is about, and where its training data lies.

A user names a model folder, a model or adapter artifact, a release bundle or release artifact,
or an endpoint. The audit's lineage input is the released model's artifact id where there is
one, else a hash of the folder's files, else the endpoint and model name. Memorisation, span
tracing and contamination need the model's own training documents, each source apart
(`Documents`): a release bundle carries them (`training-data/`: our pretraining shards and a
fine-tune's data in `finetuning/`, each where present), a workspace artifact names its dataset
(a fine-tune of our model: its base's, found in the workspace or by the folder the fine-tune's
record names), every fine-tune keeps its own data beside it (`finetuning_data.py`), and anything
else needs `--training-data`. A fine-tune of a fine-tune learnt from every fine-tune before it
too: the lineage is walked to its root, and each ancestor whose data cannot be read (a foreign
base's pretraining, a folder no longer there) is named in the report (`Unavailable`). Where none
is known, those suites say so in the report; the others run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from gemeingut.audit.endpoint import EndpointTarget, endpoint_lineage
from gemeingut.audit.finetuning_data import (
    RECORD_FORMATS,
    fine_tune_data,
    finetuning_files,
    is_jsonl_file,
    is_text_file,
    record_text,
    unreadable_jsonl,
)
from gemeingut.audit.held_out import held_out
from gemeingut.audit.target import LocalTarget, Target
from gemeingut.data.compressed import STREAM_ERRORS, open_compressed
from gemeingut.data.shards import SHARD_DIR
from gemeingut.errors import InputError
from gemeingut.hashing import files_with_hashes, sha256_file, sha256_json
from gemeingut.i18n import _
from gemeingut.json_records import json_line_problem
from gemeingut.model.loading import FINETUNE_FILE, recorded_base
from gemeingut.parquet_records import PARQUET_ERRORS, damaged_parquet, parquet_batches
from gemeingut.release.layout import FINETUNE_EARLIER
from gemeingut.workspace import ARTIFACT_FILE, Artifact, load_artifact

# A dataset's splits that pretraining learns from: its validation shards only score the
# validation loss (`model/pretrain._validation_loss`), so a document found there alone was never
# trained on and counts for no claim about the training documents (the server's trace says
# the same, `serve/trace_route.trained`).
TRAINING_SPLITS = ("train",)
FINETUNING_FOLDER = "finetuning"  # in a bundle's training-data/ (release/layout.FINETUNE_DATA)
# Which training documents an audit checks against (`Documents.kind`): the ones the user named,
# a model's pretraining documents, or a fine-tune's own data.
GIVEN, PRETRAINING, FINETUNING = "given", "pretraining", "finetuning"
# Why an ancestor's training documents were not read (`Unavailable.reason`): a foreign base
# publishes no pretraining data here, an artifact of ours is no longer where it was, or it
# kept no data.
FOREIGN, NOT_FOUND, NO_DATA = "foreign_base", "not_found", "no_data"
ANCESTRY = "ancestry"  # the kind of an ancestor not found: everything it and its bases learnt
LINEAGE_DEPTH = 16  # fine-tunes of fine-tunes followed at most (a cycle cannot loop forever)


def source_key(kind: str, model: str | None) -> str:
    """A source's name among the audit's figures: its kind, an earlier fine-tune's data with
    that fine-tune's id (a lineage may hold several)."""
    return kind if model is None else f"{kind}:{model}"


@dataclass(frozen=True)
class Documents:
    """One source of training documents, in the order they are read: which they are (GIVEN,
    PRETRAINING or FINETUNING), their files and, for an earlier fine-tune's data (the base of
    a fine-tune of a fine-tune), that fine-tune's id. The memorisation sample is drawn from
    each source apart (`memorisation_sources.py`). `recorded`: each file's sha256 as the
    artifact that holds it recorded it, used instead of reading the file again."""

    kind: str
    files: tuple[Path, ...]
    model: str | None = None
    recorded: Mapping[Path, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        return source_key(self.kind, self.model)

    @cached_property
    def digests(self) -> dict[str, str]:
        """Each file's sha256 by its path below the folder that holds them all: the same for a
        fine-tune's `data/` and its bundle's `training-data/finetuning/` (hashed once, for the
        lineage and the report)."""
        return {
            name: self.recorded.get(file) or sha256_file(file)
            for name, file in self.named().items()
        }

    def named(self) -> dict[str, Path]:
        """The files by their path below the folder that holds them all."""
        root = os.path.commonpath([os.path.abspath(file.parent) for file in self.files])
        return {Path(os.path.relpath(file, root)).as_posix(): file for file in self.files}

    def fingerprint(self) -> str:
        return "sha256:" + sha256_json(self.digests)

    def checked(self) -> dict[str, Any]:
        """What the report says of this source: its kind (and whose data, for an earlier
        fine-tune's), each file's sha256, its documents."""
        whose = {"model": self.model} if self.model is not None else {}
        return {
            "kind": self.kind,
            **whose,
            "files": self.digests,
            "documents": count_documents(self.files),
        }


@dataclass(frozen=True)
class Unavailable:
    """Training documents of the lineage that the audit could not read: which kind (ANCESTRY: a
    base of ours not found, and all its own bases learnt), whose (`model`, an artifact id or a
    foreign base's name), and why (FOREIGN, NOT_FOUND, NO_DATA)."""

    kind: str
    model: str
    reason: str

    def said(self) -> dict[str, str]:
        return {"kind": self.kind, "model": self.model, "reason": self.reason}


def sources_in_brief(training_data: Any) -> Any:
    """`report.json`'s training data as the audit artifact's stats (and a bundle's lineage)
    keep it: per source its kind, number of files and documents, and one digest over its files
    (`Documents.fingerprint`), not each file's sha256 (hundreds of shards for a real dataset:
    those stay in report.json). Anything else (a report from before names no sources, or one
    cut) is kept as it is, for `verify` to compare."""
    if not isinstance(training_data, dict) or not isinstance(training_data.get("sources"), list):
        return training_data
    return {
        **training_data,
        "sources": [_source_in_brief(source) for source in training_data["sources"]],
    }


def _source_in_brief(source: Any) -> Any:
    if not isinstance(source, dict) or not isinstance(source.get("files"), dict):
        return source
    return {
        "kind": source.get("kind"),
        **({"model": source["model"]} if "model" in source else {}),
        "files": len(source["files"]),
        "documents": source.get("documents"),
        "sha256": "sha256:" + sha256_json(source["files"]),
    }


@dataclass(frozen=True)
class Subject:
    """What is audited: a model folder or an endpoint, and its training documents if known."""

    name: str
    lineage: str
    model_dir: Path | None = None
    endpoint: str | None = None
    api_key: str | None = None
    tokenizer: Path | None = None  # an endpoint's tokenizer, where it lends none itself
    documents: tuple[Documents, ...] = ()  # each source (Parquet shards, JSONL or text files)
    unavailable: tuple[Unavailable, ...] = ()  # the lineage's documents that could not be read

    @property
    def training_files(self) -> tuple[Path, ...]:
        """Every source's files, one after another (span tracing, overlap, canaries)."""
        return tuple(file for source in self.documents for file in source.files)

    def documents_checked(self) -> dict[str, Any]:
        """Per source, which documents memorisation and the overlap check read (none: unknown),
        and the lineage's documents it could not read, where there are any."""
        checked: dict[str, Any] = {"sources": [source.checked() for source in self.documents]}
        if self.unavailable:
            checked["unavailable"] = [missing.said() for missing in self.unavailable]
        return checked

    def target(
        self, batch_tokens: int | None = None, precision: str = "fp32", device: str = "auto"
    ) -> Target:
        if self.model_dir is not None:
            return LocalTarget(
                self.model_dir, self.name, self.lineage, batch_tokens, precision, device
            )
        assert self.endpoint is not None
        return EndpointTarget(self.endpoint, self.name, self.api_key, self.tokenizer)


def model_folder(path: Path, name: str | None, training_data: Path | None) -> Subject:
    # here, not at the top: `verify` imports this module for its shard reading, and the
    # server's runner would bring the whole web stack with it
    from gemeingut.serve.runner import default_model_name, resolve_model_dir

    try:
        model_dir = resolve_model_dir(path)
    except InputError as missing:  # said in the server's words: "no model to serve"
        if not path.exists():
            raise
        raise InputError(_("{path} holds no model to audit", path=path), missing.hint) from None
    release, artifact = _artifacts_around(path.resolve())
    if artifact is not None:
        lineage = _released_id(artifact.meta) if artifact.kind == "release" else artifact.id
    else:
        lineage = "sha256:" + sha256_json(files_with_hashes(model_dir))
    documents, unavailable = _known_documents(path.resolve(), release, artifact, training_data)
    return Subject(
        name or default_model_name(path),
        lineage,
        model_dir=model_dir,
        documents=documents,
        unavailable=unavailable,
    )


def _known_documents(
    path: Path, release: Path | None, artifact: Artifact | None, given: Path | None
) -> tuple[tuple[Documents, ...], tuple[Unavailable, ...]]:
    """The training documents of the model at `path`: those `given`, a bundle's, else those
    of a model of ours and its lineage (`lineage_documents`)."""
    if given is not None:
        return given_documents(given), ()
    if release is not None:
        return bundle_sources(release / "training-data"), ()
    if artifact is not None:
        return lineage_documents(artifact)
    data = fine_tune_data(path)
    return _sources(FINETUNING, finetuning_files(data) if data is not None else ()), ()


def artifact_documents(artifact: Artifact) -> tuple[Documents, ...]:
    """What a model artifact of ours and its lineage learnt from (`lineage_documents`)."""
    return lineage_documents(artifact)[0]


def lineage_documents(artifact: Artifact) -> tuple[tuple[Documents, ...], tuple[Unavailable, ...]]:
    """What a model artifact of ours learnt from, oldest first: the pretraining dataset's train
    shards at the lineage's root, each earlier fine-tune's data (named by its id), and a
    fine-tune's own data; and what of the lineage could not be read, with why."""
    found: list[Documents] = []
    missing: list[Unavailable] = []
    current, whose = artifact, None  # the audited model's own data carries no id
    for _step in range(LINEAGE_DEPTH):
        if current.meta.get("inputs", {}).get("dataset") is not None:  # pretrained by us
            files = _dataset_train_files(current)
            found += _sources(PRETRAINING, files)
            if not files:
                missing.append(Unavailable(PRETRAINING, current.id, NOT_FOUND))
            break
        data = fine_tune_data(current.path)
        files = finetuning_files(data) if data is not None else ()
        if files:
            found.append(Documents(FINETUNING, files, whose))
        elif (current.path / FINETUNE_FILE).is_file():
            missing.append(Unavailable(FINETUNING, current.id, NO_DATA))
        base = base_artifact(current)
        if base is None:
            missing += _unknown_base(current)
            break
        current, whose = base, base.id
    return tuple(reversed(found)), tuple(missing)


def _unknown_base(tuned: Artifact) -> list[Unavailable]:
    """The base of `tuned` that was not found: a foreign model's pretraining data (it
    publishes none here), or a model of ours no longer where the record says."""
    base_id = tuned.meta.get("inputs", {}).get("base")
    if not isinstance(base_id, str) or not base_id:
        return []
    if base_id.startswith("sha256:"):  # a foreign folder's fingerprint (`listing_fingerprint`)
        named = recorded_base(tuned.path / FINETUNE_FILE)
        return [Unavailable(PRETRAINING, str(named.get("name") or base_id), FOREIGN)]
    return [Unavailable(ANCESTRY, base_id, NOT_FOUND)]


def _recorded(artifact: Artifact) -> dict[Path, str]:
    """Each file's sha256 as `artifact` recorded it when it was made (`workspace.materialize`):
    the release's check of the audited documents compares them without reading each shard
    again; the bundle's MANIFEST, hashed from the copies, is compared after the build."""
    files = artifact.meta.get("files")
    if not isinstance(files, dict):
        return {}
    return {
        artifact.path / rel: digest.removeprefix("sha256:")
        for rel, digest in files.items()
        if isinstance(digest, str)
    }


def published_documents(
    dataset: Artifact | None, tuned: Artifact | None, earlier: Sequence[Artifact] = ()
) -> tuple[Documents, ...]:
    """The training documents a release bundle will publish, as `bundle_sources` finds them in
    it once built: the dataset's train shards (our own pretraining), each `earlier` fine-tune's
    data (by its id) and the fine-tune's data (`release/bundle.py` copies them all), with the
    digests their artifacts recorded."""
    published: list[Documents] = []
    if dataset is not None:
        recorded = _recorded(dataset)
        published += [
            Documents(s.kind, s.files, recorded=recorded) for s in bundle_sources(dataset.path)
        ]
    for before in earlier:
        data = fine_tune_data(before.path)
        if data is not None and (files := finetuning_files(data)):
            published.append(Documents(FINETUNING, files, before.id, _recorded(before)))
    data = fine_tune_data(tuned.path) if tuned is not None else None
    if tuned is not None and data is not None and (files := finetuning_files(data)):
        published.append(Documents(FINETUNING, files, recorded=_recorded(tuned)))
    return tuple(published)


def _sources(kind: str, files: tuple[Path, ...]) -> tuple[Documents, ...]:
    return (Documents(kind, files),) if files else ()


def endpoint(
    url: str,
    name: str | None,
    api_key: str | None,
    tokenizer: Path | None,
    training_data: Path | None,
) -> Subject:
    if not name:
        raise InputError(_("--endpoint needs --model-name"), _("the id `GET /v1/models` lists"))
    return Subject(
        name,
        endpoint_lineage(url, name),
        endpoint=url,
        api_key=api_key,
        tokenizer=tokenizer,
        documents=given_documents(training_data) if training_data is not None else (),
    )


def given_documents(path: Path) -> tuple[Documents, ...]:
    """The training documents the user named (`--training-data`): a dataset artifact or a
    bundle's training-data/ by its sources, so that the audit a bundle's report shows runs
    again alike from the bundle (`build.RERUN`); anything else as one source."""
    sources = bundle_sources(path) if path.is_dir() else ()
    return sources or (Documents(GIVEN, training_files(path)),)


def training_files(path: Path) -> tuple[Path, ...]:
    """Training documents named by the user: a dataset artifact (its train shards), a release
    bundle's training-data/ (its train shards and its fine-tuning data), a folder of
    Parquet/JSONL files, else a folder of text files (.txt, .md, also in subfolders), or one
    such file."""
    if not path.exists():
        raise InputError(
            _("training data {path} does not exist", path=path),
            _("check the path given to --training-data"),
        )
    files = tuple(f for s in bundle_sources(path) for f in s.files) if path.is_dir() else ()
    if files:
        return files
    if path.is_dir():
        found = tuple(
            sorted(p for p in path.iterdir() if p.suffix == ".parquet" or is_jsonl_file(p))
        ) or tuple(sorted(p for p in path.rglob("*") if is_text_file(p)))
        if found:
            return found
    elif path.is_file() and (
        path.suffix == ".parquet" or is_jsonl_file(path) or is_text_file(path)
    ):
        return (path,)
    raise InputError(
        _(
            "{path} holds no training documents (Parquet shards, JSONL, .txt or .md files)",
            path=path,
        ),
        _("pass a dataset artifact, a release bundle's training-data/ folder or such files"),
    )


def bundle_sources(folder: Path) -> tuple[Documents, ...]:
    """The training documents of a dataset artifact or a bundle's training-data/, each source
    where present: the train shards (pretraining; the validation shards were never trained on)
    and the fine-tuning data in `finetuning/` (a fine-tune of our own model has both), each
    earlier fine-tune's in `finetuning-earlier/<id>/` (a fine-tune of a fine-tune) by that id.
    None found is no error: the audit's other suites run and the report says why the
    data-dependent ones did not."""
    shards = folder / SHARD_DIR if (folder / SHARD_DIR).is_dir() else folder
    pretrained = tuple(sorted(f for s in TRAINING_SPLITS for f in shards.glob(f"{s}-*.parquet")))
    tuned = folder / FINETUNING_FOLDER
    earlier = folder / FINETUNE_EARLIER  # one folder per earlier fine-tune, by its id
    folders = sorted(p for p in earlier.iterdir() if p.is_dir()) if earlier.is_dir() else []
    return (
        *_sources(PRETRAINING, pretrained),
        *(Documents(FINETUNING, files, d.name) for d in folders if (files := finetuning_files(d))),
        *_sources(FINETUNING, finetuning_files(tuned) if tuned.is_dir() else ()),
    )


def count_documents(files: tuple[Path, ...]) -> int:
    """How many documents `iter_documents` reads from `files` (a shard's rows from its footer)."""
    count = 0
    for file in files:
        if file.suffix == ".parquet":
            try:
                count += pq.ParquetFile(file).metadata.num_rows
            except PARQUET_ERRORS:
                raise InputError(
                    damaged_parquet(str(file)), _("pass curated shards or JSONL")
                ) from None
    others = tuple(file for file in files if file.suffix != ".parquet")
    return count + sum(1 for _doc in iter_documents(others))


def iter_documents(files: tuple[Path, ...]) -> Iterator[dict[str, Any]]:
    """Documents as {id, text, license, source}, in file order. A text file is one document,
    named by its path below the folder that holds them all (the same in a fine-tune's data/
    and in its bundle's training-data/finetuning/). The examples a fine-tune held out for
    validation are left out: it never trained on them (`held_out.py`)."""
    texts = [file.parent for file in files if is_text_file(file)]
    root = Path(os.path.commonpath(texts)) if texts else None
    held = held_out(files)
    for file in files:
        skipped = held.get(file.resolve(), frozenset())
        if file.suffix == ".parquet":
            yield from _parquet_documents(file)
        elif root is not None and is_text_file(file):
            if not skipped:  # a text file is one example: position 0
                yield _text_document(file, file.relative_to(root).as_posix())
        else:
            yield from _jsonl_documents(file, skipped)


def _parquet_documents(file: Path) -> Iterator[dict[str, Any]]:
    """A damaged shard (its footer or a page) is named in words wherever reading it fails,
    the same words `verify`'s readers of a bundle's shards use."""
    try:
        names = set(pq.ParquetFile(file).schema_arrow.names)
    except PARQUET_ERRORS:
        raise InputError(damaged_parquet(str(file)), _("pass curated shards or JSONL")) from None
    if "text" not in names:
        raise InputError(_("{file} has no `text` column", file=file), _("pass curated shards"))
    columns = [c for c in ("id", "text", "license", "source") if c in names]
    row = 0
    for batch in parquet_batches(file, str(file), columns):
        for doc in batch.to_pylist():
            row += 1
            yield _document(doc, f"{file.name}:{row}")


def _jsonl_documents(file: Path, skipped: frozenset[int] = frozenset()) -> Iterator[dict[str, Any]]:
    """One document per line: a curated record (`text`, with `id`, `license`, `source` where
    given) or a fine-tuning example (`finetuning_data.record_text`); also .gz/.zst. The
    `skipped` ones (by position among the non-blank lines) are left out unread."""
    number = position = 0
    try:
        with open_compressed(file) as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    if position not in skipped:
                        yield _jsonl_document(file, number, line)
                    position += 1
    except (*STREAM_ERRORS, UnicodeDecodeError) as exc:
        raise unreadable_jsonl(file, number, exc) from None


def _jsonl_document(file: Path, number: int, line: bytes) -> dict[str, Any]:
    where = f"{file.name}:{number}"
    try:
        doc = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(json_line_problem(str(file), number, exc), RECORD_FORMATS) from None
    text = record_text(doc, f"{file}:{number}")
    return _document({**doc, "text": text}, where)


def _text_document(file: Path, name: str) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            _("{path} cannot be read: {problem}", path=file, problem=str(exc)),
            _("fine-tuning texts are UTF-8"),
        ) from None
    return {"id": name, "text": text, "license": None, "source": None}


def _document(doc: dict[str, Any], where: str) -> dict[str, Any]:
    if not isinstance(doc.get("text"), str):
        raise InputError(
            _("{where}: the `text` is not a string", where=where), _("pass curated documents")
        )
    return {
        "id": str(doc.get("id") or where),
        "text": doc["text"],
        "license": doc.get("license"),
        "source": doc.get("source"),
    }


def _artifacts_around(path: Path) -> tuple[Path | None, Artifact | None]:
    """The release bundle (if any) and the nearest artifact at or above `path` (up to the
    release artifact around `bundle/model`)."""
    bundle = next((p for p in (path, path.parent) if (p / "training-data").is_dir()), None)
    for candidate in (path, path.parent, path.parent.parent):
        if (candidate / ARTIFACT_FILE).is_file():
            artifact = load_artifact(candidate)
            if artifact.kind == "release" and bundle is None:
                bundle = candidate / "bundle"
            return bundle, artifact
    return bundle, None


def _released_id(release: dict[str, Any]) -> str:
    inputs = release.get("inputs", {})
    return str(inputs.get("finetune") or inputs.get("model"))


def _dataset_train_files(model: Artifact) -> tuple[Path, ...]:
    """The train shards a model of ours was pretrained on, from its dataset at
    `<root>/dataset/<id>`."""
    folder = model.path.parent.parent / "dataset" / str(model.meta["inputs"]["dataset"])
    found = bundle_sources(folder) if (folder / SHARD_DIR).is_dir() else ()
    return next((s.files for s in found if s.kind == PRETRAINING), ())


def base_artifact(tuned: Artifact) -> Artifact | None:
    """The model of ours a fine-tune was made from: in the fine-tune's workspace
    (`<root>/model/<id>`), else the folder the fine-tune's record names (a fine-tune made with
    `--out` elsewhere), where that still holds the very artifact. None for a foreign base."""
    base_id = tuned.meta.get("inputs", {}).get("base")
    if not isinstance(base_id, str) or not base_id:
        return None
    folders = [tuned.path.parent.parent / "model" / base_id]
    if recorded := recorded_base(tuned.path / FINETUNE_FILE).get("path"):
        folders.append(Path(recorded))
    for folder in folders:
        if (folder / ARTIFACT_FILE).is_file():
            base = load_artifact(folder)
            if base.id == base_id:
                return base
    return None
