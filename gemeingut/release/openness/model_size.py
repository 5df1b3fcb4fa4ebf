"""How many parameters a released model has, read from the bundle's files: the safetensors
headers in `model/` and, for a LoRA adapter, its base's count as the fine-tuning recorded it
(`finetune.json`; the base's weights are not in the bundle). An adapter alone is no model: the
model that runs is the base with the adapter, so every document states base + adapter as the
total and the adapter as what was trained. The card, the Model Documentation Form, SPDX and
the ML-BOM all read the count here, so they cannot disagree, and `verify` checks it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gemeingut.i18n import _
from gemeingut.json_records import read_object
from gemeingut.release.layout import FINETUNE_RECORD, MODEL
from gemeingut.release.openness.evidence import parameter_count

ADAPTER_CONFIG = f"{MODEL}/adapter_config.json"


@dataclass(frozen=True)
class ModelSize:
    total: int | None  # the model that runs: the weights in model/, or base + adapter
    in_bundle: int | None  # the weights in model/ (an adapter's: the adapter alone)
    base: int | None  # an adapter's base, as finetune.json records it; None for a whole model
    trained: int | None  # what the fine-tuning trained (finetune.json); None without one
    adapter: bool = False  # model/ holds a LoRA adapter (its base's count may be unrecorded)


def model_size(bundle: Path) -> ModelSize:
    in_bundle = parameter_count(bundle / MODEL)
    stats = _record(bundle / FINETUNE_RECORD).get("stats") or {}
    trained = stats.get("trainable_parameters")
    if not (bundle / ADAPTER_CONFIG).is_file():
        return ModelSize(in_bundle, in_bundle, None, trained)
    base = stats.get("parameters")  # counted before the adapter was added
    total = base + in_bundle if base is not None and in_bundle is not None else None
    return ModelSize(total, in_bundle, base, trained, adapter=True)


def _record(path: Path) -> dict[str, Any]:
    return read_object(path, _("obtain an unmodified copy of the bundle")) or {}
