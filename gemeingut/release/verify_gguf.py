"""The bundle's GGUF, read back as the export reads its own file before publishing it.

llama.cpp and Ollama users run `model/model.gguf`, not the safetensors weights: its licence,
name and every tensor must be the release's. The keys are compared with what an export of the
bundle's model folder under the name and weights licence of `release.json` writes, the tensors
with `model/model.safetensors` (exactly: the export stores each one cast to its type), and the
tokenisation probe is run again. numpy and gguf-py only: `verify` does not import torch.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import gguf

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.json_records import why_unreadable
from gemeingut.model.export import GGUF_FILE, ExportPlan, plan_export
from gemeingut.model.export.metadata import DTYPES
from gemeingut.model.export.probe import check_probe, tokenizer_from_gguf
from gemeingut.model.export.verify import Mismatch, mismatches
from gemeingut.release.layout import FINETUNE_RECORD, MODEL, RELEASE_INFO, TRAINING_METADATA

GGUF_PATH = f"{MODEL}/{GGUF_FILE}"
_LINEAGE = f"{TRAINING_METADATA}/lineage.json"
_WEIGHTS = f"{MODEL}/*.safetensors"


def gguf_problems(bundle: Path, listed: dict[str, str]) -> list[Message]:
    """Each key, tensor or probe token of the GGUF that the release does not give; a GGUF that
    the lineage records but the bundle lacks (or holds with another hash)."""
    problems = _lineage_problems(bundle, listed)
    if GGUF_PATH not in listed:
        return problems
    try:
        reader = gguf.GGUFReader(bundle / GGUF_PATH)
    except (OSError, ValueError, KeyError, IndexError, struct.error) as exc:
        return [
            *problems,
            _("{file} cannot be read as GGUF: {error}", file=GGUF_PATH, error=why_unreadable(exc)),
        ]
    file_type = _scalar(reader, gguf.Keys.General.FILE_TYPE)
    dtype = next((name for name, kind in DTYPES.items() if int(kind) == file_type), None)
    if dtype is None:
        return [
            *problems,
            _(
                "{file}: general.file_type is {found}, the export writes {known}",
                file=GGUF_PATH,
                found=str(file_type),
                known=", ".join(f"{int(kind)} ({name})" for name, kind in DTYPES.items()),
            ),
        ]
    declared = _declared(bundle, listed)
    if isinstance(declared, Message):
        return [*problems, declared]
    record = bundle / FINETUNE_RECORD
    try:
        planned = plan_export(
            bundle / MODEL,
            dtype,
            *declared,
            record if FINETUNE_RECORD in listed else None,
            names_only=True,  # a base's path in the record is a name, never a folder here
        )
    except InputError as exc:  # the model folder itself is not what an export can read
        return [
            *problems,
            _("{file} cannot be checked: {error}", file=GGUF_PATH, error=exc.message),
        ]
    problems.extend(_said(m, planned) for m in _all_mismatches(reader, planned))
    try:
        check_probe(tokenizer_from_gguf(reader), planned.tokenizer)
    except (InputError, ValueError, KeyError) as exc:  # a vocabulary that builds no tokenizer
        error = why_unreadable(exc)
        problems.append(
            _("{file}: the tokenisation probe fails: {error}", file=GGUF_PATH, error=error)
        )
    return problems


def _declared(bundle: Path, listed: dict[str, str]) -> tuple[str, str] | Message:
    """The name and weights licence `release.json` declares, which the GGUF must carry; the
    file or field that is missing named."""
    if RELEASE_INFO not in listed:
        return _(
            "{file} cannot be checked: the bundle has no {release}",
            file=GGUF_PATH,
            release=RELEASE_INFO,
        )
    release = json.loads((bundle / RELEASE_INFO).read_text(encoding="utf-8"))
    name = release.get("name") if isinstance(release, dict) else None
    licences = release.get("licenses") if isinstance(release, dict) else None
    weights = licences.get("weights") if isinstance(licences, dict) else None
    for key, value in (("name", name), ("licenses.weights", weights)):
        if not isinstance(value, str) or not value:
            return _(
                "{file} cannot be checked: {release} declares no {key}",
                file=GGUF_PATH,
                release=RELEASE_INFO,
                key=key,
            )
    return str(name), str(weights)


def _all_mismatches(reader: gguf.GGUFReader, planned: ExportPlan) -> list[Mismatch]:
    """The export's own read-back, and the keys it does not plan (it never writes any)."""
    found = list(mismatches(reader, planned.metadata, planned.plan, planned.weights, planned.shape))
    found.extend(
        Mismatch("extra", key, str(field.contents())[:80])
        for key, field in reader.fields.items()
        if key not in planned.metadata and not key.startswith("GGUF.")
    )
    return found


def _said(mismatch: Mismatch, planned: ExportPlan) -> Message:
    """One mismatch, with the value the release's files give."""
    if mismatch.part == "key":
        expected = str(planned.metadata[mismatch.name][0])[:80]
        if mismatch.found == "None":
            return _(
                "{file}: the key {key} is missing; the release gives {expected!r}",
                file=GGUF_PATH,
                key=mismatch.name,
                expected=expected,
            )
        return _(
            "{file}: the key {key} is {found!r}; the release gives {expected!r}",
            file=GGUF_PATH,
            key=mismatch.name,
            found=mismatch.found,
            expected=expected,
        )
    if mismatch.part == "extra":
        return _(
            "{file}: the key {key} ({found!r}) is not one an export of the release writes",
            file=GGUF_PATH,
            key=mismatch.name,
            found=mismatch.found,
        )
    if mismatch.part == "tensors":
        return _(
            "{file}: holds the tensors {found}; the weights in {weights} give {expected}",
            file=GGUF_PATH,
            found=mismatch.found,
            weights=_WEIGHTS,
            expected=", ".join(item.name for item in planned.plan),
        )
    item = next(item for item in planned.plan if item.name == mismatch.name)
    if mismatch.part == "dtype":
        return _(
            "{file}: the tensor {tensor} is stored as {found}; the export stores it as {expected}",
            file=GGUF_PATH,
            tensor=item.name,
            found=mismatch.found,
            expected=item.dtype.__name__,
        )
    if mismatch.part == "shape":
        return _(
            "{file}: the tensor {tensor} has the shape {found}; {source} in {weights} has "
            "{expected}",
            file=GGUF_PATH,
            tensor=item.name,
            found=mismatch.found,
            source=str(item.source),
            weights=_WEIGHTS,
            expected=str(item.shape),
        )
    return _(
        "{file}: the tensor {tensor} differs from {source} in {weights}",
        file=GGUF_PATH,
        tensor=item.name,
        source=str(item.source),
        weights=_WEIGHTS,
    )


def _scalar(reader: gguf.GGUFReader, key: str) -> Any:
    field = reader.fields.get(key)
    return field.contents() if field is not None else None


def _lineage_problems(bundle: Path, listed: dict[str, str]) -> list[Message]:
    """The lineage records the GGUF the build exported, by its sha256: the bundle must hold
    that very file (a GGUF deleted with its MANIFEST line is no longer a re-hash away)."""
    lineage_file = bundle / _LINEAGE
    if not lineage_file.is_file():
        return []
    exported = json.loads(lineage_file.read_text(encoding="utf-8")).get("gguf")
    recorded = ((exported or {}).get("stats") or {}).get("sha256") if exported else None
    if not recorded:
        return []
    if GGUF_PATH not in listed:
        return [
            _(
                "{lineage} records a GGUF export, but {file} is missing",
                lineage=_LINEAGE,
                file=GGUF_PATH,
            )
        ]
    if listed[GGUF_PATH] != recorded:
        return [
            _(
                "{file}: sha256 {found}, but {lineage} records {recorded}",
                file=GGUF_PATH,
                found=listed[GGUF_PATH],
                lineage=_LINEAGE,
                recorded=recorded,
            )
        ]
    return []
