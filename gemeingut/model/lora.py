"""LoRA adapters through `peft`: which layers get one, per architecture.

Adapters on every projection of attention and MLP train better than on queries and values only
(QLoRA, Dettmers et al. 2023), so Llama-family models (Llama, Mistral, Qwen, OLMo, Gemma,
Apertus …) get all their `*_proj` layers. Other architectures get peft's own table, and models
peft does not know get every linear layer except the output head ("all-linear").
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from torch import nn

from gemeingut.errors import InputError
from gemeingut.i18n import _

PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def target_modules(model: nn.Module) -> list[str] | str:
    """The module names to adapt in `model`."""
    leaves = {name.rsplit(".", 1)[-1] for name, m in model.named_modules() if _linear(m)}
    projections = [p for p in PROJECTIONS if p in leaves]
    if {"q_proj", "v_proj"} <= set(projections):
        return projections
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING

    known = TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING.get(model.config.model_type)
    return list(known) if isinstance(known, list) else "all-linear"


def _linear(module: nn.Module) -> bool:
    return isinstance(module, nn.Linear) or type(module).__name__ == "Conv1D"  # GPT-2's


def _transposed(model: nn.Module, targets: list[str] | str) -> bool:
    """GPT-2's Conv1D layers store their weight as (in, out): peft must be told."""
    names = set(targets) if isinstance(targets, list) else set()
    return any(
        type(m).__name__ == "Conv1D" and name.rsplit(".", 1)[-1] in names
        for name, m in model.named_modules()
    )


def add_adapters(
    model: nn.Module, rank: int, alpha: float, dropout: float, targets: list[str] | None
) -> Any:
    """Wrap `model` with fresh LoRA adapters (its own weights frozen); returns the peft model,
    whose config names the targets used. The adapters come from torch's RNG: seed it first."""
    from peft import LoraConfig, get_peft_model

    chosen = targets or target_modules(model)
    config = LoraConfig(
        r=rank,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules=chosen,
        task_type="CAUSAL_LM",
        bias="none",
        fan_in_fan_out=_transposed(model, chosen),
    )
    try:
        with peft_deprecations_quiet():
            return get_peft_model(model, config)
    except ValueError as exc:  # peft: target modules not found in the model
        raise InputError(
            _(
                "LoRA cannot adapt {modules} in this model: {error}",
                modules=str(chosen),
                error=str(exc),
            ),
            _("set finetune.lora.target_modules to layer names the model has (e.g. q_proj)"),
        ) from None


@contextmanager
def peft_deprecations_quiet() -> Iterator[None]:
    """peft reads transformers' deprecated `is_gradient_checkpointing` when it wraps or loads an
    adapter: a FutureWarning addressed to peft's authors, which a user of ours (fine-tuning, or
    serving an adapter) can do nothing about, so it stays out of their output."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        yield
