"""Which model an audit is about, and where its training data lies.

A user names a model folder, a model or adapter artifact, a release bundle or release artifact,
or an endpoint. The audit's lineage input is the released model's artifact id where there is
one, else a hash of the folder's files, else the endpoint and model name. Memorisation, span
tracing and contamination need the model's own training documents: a release bundle carries
them (`training-data/`: our pretraining shards, or a fine-tune's data in `finetuning/`), a
workspace artifact names its dataset, a fine-tune of a foreign base keeps its data beside it
(`finetuning_data.py`; the base's pretraining data is unknown), and anything else needs
`--training-data`. Where none is known, those suites say so in the report; the others run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
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
from gemeingut.hashing import files_with_hashes, sha256_json
from gemeingut.i18n import _
from gemeingut.parquet_records import PARQUET_ERRORS, damaged_parquet, parquet_batches
from gemeingut.workspace import ARTIFACT_FILE, Artifact, load_artifact

# A dataset's splits that pretraining learns from: its validation shards only score the
# validation loss (`model/pretrain._validation_loss`), so a document found there alone was never
# trained on and counts for no claim about the training documents (the server's trace says
# the same, `serve/trace_route.trained`).
TRAINING_SPLITS = ("train",)
FINETUNING_FOLDER = "finetuning"  # in a bundle's training-data/ (release/layout.FINETUNE_DATA)
# Which training documents an audit checks against (`Subject.training_data`): the ones the user
# named, a model's pretraining documents, or a fine-tune's own data.
GIVEN, PRETRAINING, FINETUNING = "given", "pretraining", "finetuning"


@dataclass(frozen=True)
class Subject:
    """What is audited: a model folder or an endpoint, and its training documents if known."""

    name: str
    lineage: str
    model_dir: Path | None = None
    endpoint: str | None = None
    api_key: str | None = None
    tokenizer: Path | None = None  # an endpoint's tokenizer, where it lends none itself
    training_files: tuple[Path, ...] = ()  # Parquet shards, JSONL or text files
    # which training_files are: GIVEN, PRETRAINING or FINETUNING (files without it: the
    # model's own training documents, as `build` names its dataset's)
    training_data: str | None = None

    def documents_checked(self) -> str:
        """Which documents memorisation and the overlap check read ("unknown": none)."""
        if not self.training_files:
            return "unknown"
        return self.training_data or PRETRAINING

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

    model_dir = resolve_model_dir(path)
    release, artifact = _artifacts_around(path.resolve())
    if artifact is not None:
        lineage = _released_id(artifact.meta) if artifact.kind == "release" else artifact.id
    else:
        lineage = "sha256:" + sha256_json(files_with_hashes(model_dir))
    files, kind = _known_documents(path.resolve(), release, artifact, training_data)
    return Subject(
        name or default_model_name(path),
        lineage,
        model_dir=model_dir,
        training_files=files,
        training_data=kind if files else None,
    )


def _known_documents(
    path: Path, release: Path | None, artifact: Artifact | None, given: Path | None
) -> tuple[tuple[Path, ...], str | None]:
    """The training documents of the model at `path` and which they are: those `given`, a
    bundle's, the dataset of a workspace model's chain, else a fine-tune's own data."""
    if given is not None:
        return training_files(given), GIVEN
    if release is not None:
        return bundle_documents(release / "training-data")
    if artifact is not None:
        files = _workspace_training_files(artifact)
        if files:
            return files, PRETRAINING
    data = fine_tune_data(artifact.path if artifact is not None else path)
    return (finetuning_files(data), FINETUNING) if data is not None else ((), None)


def endpoint(
    url: str,
    name: str | None,
    api_key: str | None,
    tokenizer: Path | None,
    training_data: Path | None,
) -> Subject:
    if not name:
        raise InputError(_("--endpoint needs --model-name"), _("the id `GET /v1/models` lists"))
    files = training_files(training_data) if training_data is not None else ()
    return Subject(
        name,
        endpoint_lineage(url, name),
        endpoint=url,
        api_key=api_key,
        tokenizer=tokenizer,
        training_files=files,
        training_data=GIVEN if files else None,
    )


def training_files(path: Path) -> tuple[Path, ...]:
    """Training documents named by the user: a dataset artifact (its train shards), a release
    bundle's training-data/ (its train shards, else its fine-tuning data), a folder of
    Parquet/JSONL files, else a folder of text files (.txt, .md, also in subfolders), or one
    such file."""
    files = bundle_documents(path)[0] if path.is_dir() else ()
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


def bundle_documents(folder: Path) -> tuple[tuple[Path, ...], str | None]:
    """The training documents of a dataset artifact or a bundle's training-data/ and which
    they are: the train shards (pretraining; the validation shards were never trained on),
    else the fine-tuning data in `finetuning/`; none found is no error: the audit's other
    suites run and the report says why the data-dependent ones did not."""
    shards = folder / SHARD_DIR if (folder / SHARD_DIR).is_dir() else folder
    found = tuple(sorted(f for s in TRAINING_SPLITS for f in shards.glob(f"{s}-*.parquet")))
    if found:
        return found, PRETRAINING
    if (folder / FINETUNING_FOLDER).is_dir():
        files = finetuning_files(folder / FINETUNING_FOLDER)
        return files, FINETUNING if files else None
    return (), None


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
        raise InputError(
            _(
                "{file}:{line}: not valid JSON ({reason})",
                file=file,
                line=str(number),
                reason=exc.msg,
            ),
            RECORD_FORMATS,
        ) from None
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


def _workspace_training_files(artifact: Artifact) -> tuple[Path, ...]:
    """A workspace model's dataset (for a fine-tune, its base model's) at `<root>/dataset/<id>`."""
    root = artifact.path.parent.parent
    for _step in range(4):  # a fine-tune of a fine-tune …, at most four deep
        inputs = artifact.meta.get("inputs", {})
        if "dataset" in inputs:
            dataset = root / "dataset" / str(inputs["dataset"])
            return training_files(dataset) if (dataset / SHARD_DIR).is_dir() else ()
        base = root / "model" / str(inputs.get("base", ""))
        if not (base / ARTIFACT_FILE).is_file():
            return ()
        artifact = load_artifact(base)
    return ()
