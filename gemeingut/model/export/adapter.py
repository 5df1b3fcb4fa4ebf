"""A LoRA adapter exported as a GGUF. llama.cpp's GGUF of a model holds the whole model, so the
adapter is merged onto its base in a temporary folder and that folder is exported: the base is
found as `serve` finds it (the folder its record names, or its Hub id in the local Hugging
Face cache), or given (`model export --base DIR`), then checked, found or given, to be the very
base the adapter was trained on (its recorded fingerprint), since an adapter merged onto another
model's weights of the same shape would load and answer wrongly without an error. An adapter
gemeingut did not train records no fingerprint: its base is the one its `adapter_config.json`
names, and has the layers the adapter was trained on."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.json_records import read_object
from gemeingut.model.export.tensors import weight_index
from gemeingut.model.loading import ADAPTER_CONFIG, FINETUNE_FILE, adapter_base, recorded_base
from gemeingut.release.openness.foreign_finetune import made_from

# The merged folder's own files (save_pretrained writes them); the adapter's are left out.
_WRITTEN = {ADAPTER_CONFIG, "config.json", "generation_config.json"}


def is_adapter(model_dir: Path) -> bool:
    return (model_dir / ADAPTER_CONFIG).is_file()


def checked_base(adapter_dir: Path, base: Path | None, record: Path | None, command: str) -> Path:
    """The base model folder the adapter in `adapter_dir` is merged onto: `base` (given), else
    the one it names, either way the one it was trained on; `record`: the fine-tune's record
    where the folder does not hold it (a bundle's); `command`: the export as the user runs it
    with --base, for the hint where no base is found or the one found is another. The
    adapter's config and record are read first: a damaged one is said as such (--base cannot
    mend it), never as a missing base or as peft's traceback while merging."""
    record = record or adapter_dir / FINETUNE_FILE
    config = read_object(
        adapter_dir / ADAPTER_CONFIG, _("restore the adapter's files from its training")
    )
    fingerprint = recorded_base(record).get("fingerprint")
    given = base is not None
    if base is None:
        try:
            base = adapter_base(adapter_dir)
        except InputError as missing:
            hint = _("{hint}; or name the base model's folder: {command}", hint=missing.hint,
                     command=command)  # fmt: skip
            raise InputError(missing.message, hint) from None
    elif not (base / "config.json").is_file():
        raise InputError(
            _("--base {path} is no model folder (no config.json)", path=str(base)),
            _("pass the folder of the base model the adapter was fine-tuned from"),
        )
    assert base is not None  # an adapter's folder (is_adapter) always names a base or fails
    if isinstance(fingerprint, str):
        if not made_from(base, fingerprint):
            raise _other_base(base, record, given, command)
    else:
        _check_named_base(adapter_dir, config or {}, base, given)
    return base


def _other_base(base: Path, record: Path, given: bool, command: str) -> InputError:
    if given:
        return InputError(
            _(
                "--base {path} is not the base model the adapter was fine-tuned from: its files "
                "differ from those {record} records",
                path=str(base),
                record=str(record),
            ),
            _("pass the very folder the adapter was fine-tuned from"),
        )
    return InputError(
        _(
            "the base model found at {path} is not the one the adapter was fine-tuned from: its "
            "files differ from those {record} records",
            path=str(base),
            record=str(record),
        ),
        _("put the very base model back there, or name its folder: {command}", command=command),
    )


def _check_named_base(adapter_dir: Path, config: dict[str, Any], base: Path, given: bool) -> None:
    """An adapter without our record: a given base is the one its `config` names, where that
    one is here, and every base holds the layers (`target_modules`) the adapter was trained on."""
    config_file = adapter_dir / ADAPTER_CONFIG
    named = config.get("base_model_name_or_path")
    if given:
        try:
            found = adapter_base(adapter_dir)
        except InputError:
            found = None  # the base it names is not here: nothing to compare the folders with
        if found is not None and found.resolve() != base.resolve():
            raise InputError(
                _(
                    "--base {path} is not the base model the adapter names in {config}: {named}",
                    path=str(base),
                    config=str(config_file),
                    named=str(named),
                ),
                _("leave --base out, or pass the folder of {named}", named=str(named)),
            )
    targets = config.get("target_modules")
    if not isinstance(targets, list):
        return  # a pattern or "all-linear": peft matches it against the model itself
    layers = weight_index(base)
    lacking = [t for t in targets if not any(n.endswith(f".{t}.weight") for n in layers)]
    if lacking:
        raise InputError(
            _(
                "the base model {path} has no {layers} layers, which the adapter was trained on "
                "({config}): it is a model of another architecture than the adapter's base {named}",
                path=str(base),
                layers=", ".join(map(str, lacking)),
                config=str(config_file),
                named=str(named),
            ),
            _("pass the folder of the base model the adapter was fine-tuned from"),
        )


@contextmanager
def merged_adapter(adapter_dir: Path, base: Path, beside: Path) -> Iterator[Path]:
    """A temporary folder in `beside` (the GGUF's folder, which has room for a whole model; the
    system's temporary folder often has not) that holds the adapter in `adapter_dir` merged
    onto `base` (checked: `checked_base`), with the adapter folder's tokenizer, card, licence
    and record."""
    from gemeingut.model.loading import load_causal_lm

    beside.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".gemeingut-export-", dir=beside) as tmp:
        merged = Path(tmp) / adapter_dir.resolve().name  # the GGUF's name where none is given
        load_causal_lm(adapter_dir, base).save_pretrained(merged, safe_serialization=True)
        for file in adapter_dir.iterdir():
            if file.is_file() and file.suffix != ".safetensors" and file.name not in _WRITTEN:
                shutil.copy2(file, merged / file.name)
        yield merged
