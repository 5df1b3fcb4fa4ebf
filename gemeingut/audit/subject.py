"""Which model an audit is about, and where its training data lies.

A user names a model folder, a model or adapter artifact, a release bundle or release artifact,
or an endpoint. The audit's lineage input is the released model's artifact id where there is
one, else a hash of the folder's files, else the endpoint and model name. Memorisation, span
tracing and contamination need the model's own training documents: a release bundle carries
them (`training-data/`), a workspace artifact names its dataset, and anything else needs
`--training-data`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from gemeingut.audit.endpoint import EndpointTarget, endpoint_lineage
from gemeingut.audit.target import LocalTarget, Target
from gemeingut.data.shards import SHARD_DIR
from gemeingut.errors import InputError
from gemeingut.hashing import files_with_hashes, sha256_json
from gemeingut.i18n import _
from gemeingut.parquet_records import PARQUET_ERRORS, damaged_parquet, parquet_batches
from gemeingut.workspace import ARTIFACT_FILE, Artifact, load_artifact

TRAINING_SPLITS = ("train", "validation")


@dataclass(frozen=True)
class Subject:
    """What is audited: a model folder or an endpoint, and its training documents if known."""

    name: str
    lineage: str
    model_dir: Path | None = None
    endpoint: str | None = None
    api_key: str | None = None
    tokenizer: Path | None = None  # an endpoint's tokenizer, where it lends none itself
    training_files: tuple[Path, ...] = ()  # Parquet shards or JSONL files

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
    if training_data is not None:
        files = training_files(training_data)
    elif release is not None:
        files = training_files(release / "training-data")
    elif artifact is not None:
        files = _workspace_training_files(artifact)
    else:
        files = ()
    return Subject(
        name or default_model_name(path), lineage, model_dir=model_dir, training_files=files
    )


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
    )


def training_files(path: Path) -> tuple[Path, ...]:
    """Training documents named by the user: a dataset artifact (its train and validation
    shards), a folder of Parquet/JSONL files, or one such file."""
    if (path / SHARD_DIR).is_dir():
        return tuple(
            sorted(f for s in TRAINING_SPLITS for f in (path / SHARD_DIR).glob(f"{s}-*.parquet"))
        )
    if path.is_dir():
        shards = tuple(sorted(f for s in TRAINING_SPLITS for f in path.glob(f"{s}-*.parquet")))
        found = shards or tuple(
            sorted(p for p in path.iterdir() if p.suffix in (".parquet", ".jsonl"))
        )
        if found:
            return found
    elif path.is_file() and path.suffix in (".parquet", ".jsonl"):
        return (path,)
    raise InputError(
        _(
            "{path} holds no training documents (Parquet shards or JSONL with a `text` field)",
            path=path,
        ),
        _("pass a dataset artifact, a release bundle's training-data/ folder or such files"),
    )


def iter_documents(files: tuple[Path, ...]) -> Iterator[dict[str, Any]]:
    """Documents as {id, text, license, source}, in file order."""
    for file in files:
        if file.suffix == ".parquet":
            yield from _parquet_documents(file)
        else:
            yield from _jsonl_documents(file)


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


def _jsonl_documents(file: Path) -> Iterator[dict[str, Any]]:
    with file.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
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
                    _("one JSON object with a `text` field per line"),
                ) from None
            if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
                raise InputError(
                    _("{file}:{line}: no `text` field", file=file, line=str(number)),
                    _("one JSON object with a `text` field per line"),
                )
            yield _document(doc, f"{file.name}:{number}")


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
