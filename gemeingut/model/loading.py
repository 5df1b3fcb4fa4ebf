"""Load what a model folder holds: a whole model, or a LoRA adapter on top of its base model.

An adapter folder (`adapter_config.json`) is small and names its base: `finetune.json` records
the base model's folder, so serving or evaluating an adapter loads that base and merges the
adapter in memory. The merged weights equal what `model finetune --merge` writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gemeingut.errors import InputError
from gemeingut.i18n import _

ADAPTER_CONFIG = "adapter_config.json"
FINETUNE_FILE = "finetune.json"  # written by `finetune.py`: base model, data, run


def adapter_base(folder: Path) -> Path | None:
    """The base model folder of a LoRA adapter folder; None for a whole model."""
    if not (folder / ADAPTER_CONFIG).is_file():
        return None
    record = folder / FINETUNE_FILE
    if record.is_file():
        base = Path(json.loads(record.read_text(encoding="utf-8"))["base_model"]["path"])
    else:
        config = json.loads((folder / ADAPTER_CONFIG).read_text(encoding="utf-8"))
        base = Path(str(config.get("base_model_name_or_path") or ""))
    if not (base / "config.json").is_file():
        raise InputError(
            _("{path} is a LoRA adapter whose base model is not at {base}", path=folder, base=base),
            _(
                "put the base model folder back there, or fine-tune with --merge to get a "
                "standalone model"
            ),
        )
    return base


def load_causal_lm(folder: Path) -> Any:
    """The model in `folder` (an adapter merged onto its base) in float32, evaluation mode.
    (torch and transformers load here, not at import: the server's app imports this module.)
    On a GPU transformers would fetch kernels from the Hub at load time; an air-gapped machine
    has none, and a model should run the code that shipped with it: `use_kernels=False`."""
    import torch
    from transformers import AutoModelForCausalLM

    dtype = torch.float32
    base = adapter_base(folder)
    if base is None:
        model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=dtype, use_kernels=False)
    else:
        from peft import PeftModel

        model = AutoModelForCausalLM.from_pretrained(str(base), dtype=dtype, use_kernels=False)
        model = PeftModel.from_pretrained(model, str(folder)).merge_and_unload()
    return model.eval()
