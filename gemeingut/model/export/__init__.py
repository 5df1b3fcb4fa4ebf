"""Write a Hugging Face model directory as a GGUF file that llama.cpp (and Ollama) load as it is.

Llama, Mistral, Qwen2, Gemma and OLMo2 checkpoints are mapped the way llama.cpp's own
convert_hf_to_gguf.py maps them (`architectures.py` says how each one differs).

We write GGUF ourselves with the `gguf` package instead of calling llama.cpp's converter: that
converter recognises a BPE pre-tokenizer only by hashing the ids of a probe string and refuses
tokenizers it has not seen, which includes every tokenizer we train. Our tokenizers use GPT-2's
ByteLevel split, which llama.cpp implements under the name "gpt-2"; Llama-3 style tokenizers
(Split regex + ByteLevel) map to "llama-bpe". Every export is read back and checked tensor by
tensor, key by key, and with a tokenisation probe before it is renamed into place.

The parts, in the order an export runs them: `released` (a bundle's declarations),
`architectures` (config.json), `tensors` (names and values), `tokenizer`, `metadata`, `writer`,
`verify` (with `probe`).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
from gguf import GGUFValueType as T

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.model.export.adapter import checked_base, is_adapter, merged_adapter
from gemeingut.model.export.architectures import Shape, read_shape
from gemeingut.model.export.metadata import DTYPES, model_metadata
from gemeingut.model.export.released import Released, released_model
from gemeingut.model.export.tensors import Planned, plan_tensors, weight_index
from gemeingut.model.export.tokenizer import read_tokenizer, tokenizer_metadata
from gemeingut.model.export.verify import verify_gguf
from gemeingut.model.export.writer import write_gguf

GGUF_FILE = "model.gguf"  # in a gguf artifact and in a release bundle's model/


def export_gguf(
    model_dir: Path,
    out_file: Path,
    dtype: str = "f16",
    name: str | None = None,
    licence: str | None = None,
    base: Path | None = None,
) -> dict[str, Any]:
    """Write `model_dir` as `out_file` (GGUF), verify the file, and return a summary. `name`
    and `licence` go into `general.name` and `general.license` (else, for a release bundle's
    model folder, those its release declares; else the folder's card's). A LoRA adapter is
    merged onto its base first (`adapter.py`; `base`: its folder, where not found otherwise)."""
    if dtype not in DTYPES:
        raise InputError(
            _("unsupported GGUF dtype {dtype!r}", dtype=dtype),
            _("choose one of {choices}", choices=", ".join(DTYPES)),
        )
    if out_file.is_dir():
        raise InputError(
            _("{path} is a directory", path=str(out_file)), _("name the .gguf file to write")
        )
    released = released_model(model_dir)
    if is_adapter(model_dir):
        command = f"gemeingut model export {model_dir} --base DIR --out {out_file}"
        record = released.record if released is not None else None
        base = checked_base(model_dir, base, record, command)
        _check_before_merging(model_dir, base, dtype, name, licence, released)
        with merged_adapter(model_dir, base, out_file.parent) as merged:
            return _export(merged, out_file, dtype, name, licence, released)
    if base is not None:
        raise InputError(
            _("--base is for a LoRA adapter, and {model} is a whole model", model=str(model_dir)),
            _("leave --base out"),
        )
    return _export(model_dir, out_file, dtype, name, licence, released)


def _check_before_merging(
    adapter_dir: Path,
    base: Path,
    dtype: str,
    name: str | None,
    licence: str | None,
    released: Released | None,
) -> None:
    """What the merged folder's export would refuse, refused before merging (minutes for a large
    base): its shape is the base's, its card, licence and tokenizer are the adapter folder's."""
    shape = read_shape(base)
    if released is None:
        model_metadata(adapter_dir, shape, dtype, name, licence)
    else:
        name, licence = name or released.name, licence or released.licence
        model_metadata(adapter_dir, shape, dtype, name, licence, released.record, names_only=True)
    tokenizer_metadata(adapter_dir, read_tokenizer(adapter_dir), shape.vocab_size)


def _export(
    model_dir: Path,
    out_file: Path,
    dtype: str,
    name: str | None,
    licence: str | None,
    released: Released | None,
) -> dict[str, Any]:
    """`export_gguf` of a whole model's folder; `released`: the bundle's declarations, where
    the model is a release's."""
    if released is None:
        planned = plan_export(model_dir, dtype, name, licence)
    else:  # as the bundle's own GGUF: a base's path in its record is a name, not a folder here
        name, licence = name or released.name, licence or released.licence
        planned = plan_export(model_dir, dtype, name, licence, released.record, names_only=True)
    shape, weights, plan, metadata = planned.shape, planned.weights, planned.plan, planned.metadata
    out_file.parent.mkdir(parents=True, exist_ok=True)
    partial = out_file.with_name(out_file.name + ".partial")
    try:
        write_gguf(partial, metadata, plan, weights, shape)
        checked = verify_gguf(partial, metadata, plan, weights, shape, planned.tokenizer)
        digest = _sha256(partial)
        os.replace(partial, out_file)
    finally:
        partial.unlink(missing_ok=True)
    return {
        "path": str(out_file),
        "dtype": dtype,
        "tensors": len(plan),
        "parameters": checked,
        "bytes": out_file.stat().st_size,
        "sha256": digest,
        "vocab_size": shape.vocab_size,
        "tokenizer_pre": metadata[gguf.Keys.Tokenizer.PRE][0],
        "tied_embeddings": shape.tied,
        "name": metadata[gguf.Keys.General.NAME][0],
        "license": metadata.get(gguf.Keys.General.LICENSE, (None,))[0],
    }


@dataclass
class ExportPlan:
    """Everything an export of a model folder writes: the keys, and each tensor's source."""

    shape: Shape
    weights: dict[str, Path]
    tokenizer: dict[str, Any]
    plan: list[Planned]
    metadata: dict[str, tuple[Any, T]]


def plan_export(
    model_dir: Path,
    dtype: str,
    name: str | None,
    licence: str | None,
    record: Path | None = None,
    names_only: bool = False,
) -> ExportPlan:
    """What `export_gguf` writes for `model_dir`; `gemeingut verify` compares a released GGUF
    with it (`record`: the fine-tune's record, where the folder does not hold it; `names_only`:
    a base model's path in it is a name, never a local folder read, as `verify` needs)."""
    shape = read_shape(model_dir)
    weights = weight_index(model_dir)
    # llama.cpp ties by absence: with no output.weight it reuses token_embd.
    shape.tied = shape.tied or "lm_head.weight" not in weights
    if shape.arch.head_always_tied and not shape.tied:
        raise InputError(
            _(
                "{model}: {arch} with an untied lm_head",
                model=str(model_dir),
                arch=shape.arch.name,
            ),
            _("llama.cpp's graph for this architecture always reuses the embeddings as the head"),
        )
    tokenizer = read_tokenizer(model_dir)
    metadata = {
        **model_metadata(model_dir, shape, dtype, name, licence, record, names_only),
        **tokenizer_metadata(model_dir, tokenizer, shape.vocab_size),
    }
    return ExportPlan(shape, weights, tokenizer, plan_tensors(shape, weights, dtype), metadata)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
