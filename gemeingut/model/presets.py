"""Named Llama-family sizes, from a CPU demo to ~1B; every field can be overridden in the recipe."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gemeingut.errors import RecipeError
from gemeingut.i18n import _

if TYPE_CHECKING:  # the recipe reads PRESETS without loading transformers
    from transformers import LlamaConfig

PRESETS: dict[str, dict[str, Any]] = {
    # ~60k parameters with a 300-token vocabulary: for tests, ~10 ms per step on one core.
    "micro": {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
    },
    # ~1M parameters with a 2k vocabulary: trains in a few minutes on 2 CPU cores.
    "demo": {
        "hidden_size": 128,
        "intermediate_size": 352,
        "num_hidden_layers": 4,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
    },
    # ~8M parameters (plus embeddings).
    "small": {
        "hidden_size": 256,
        "intermediate_size": 704,
        "num_hidden_layers": 8,
        "num_attention_heads": 8,
        "num_key_value_heads": 4,
    },
    # ~125M parameters with a 32k vocabulary.
    "125m": {
        "hidden_size": 768,
        "intermediate_size": 2048,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "num_key_value_heads": 4,
    },
    # ~1B parameters (Llama-3.2-1B shape).
    "1b": {
        "hidden_size": 2048,
        "intermediate_size": 8192,
        "num_hidden_layers": 16,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
    },
}


def build_config(
    preset: str,
    overrides: dict[str, Any],
    vocab_size: int,
    max_positions: int,
    special_ids: dict[str, int],
) -> LlamaConfig:
    """The architecture for a preset, with recipe overrides applied last."""
    from transformers import LlamaConfig

    if preset not in PRESETS:
        raise RecipeError(
            _("model.preset: unknown preset {preset!r}", preset=preset),
            _("choose one of {choices}", choices=", ".join(PRESETS)),
        )
    fields: dict[str, Any] = {
        **PRESETS[preset],
        "vocab_size": vocab_size,
        "max_position_embeddings": max_positions,
        "tie_word_embeddings": True,
        "rope_theta": 10_000.0,
        "attention_bias": False,
        "hidden_act": "silu",
        **special_ids,
    }
    unknown = sorted(k for k in overrides if not hasattr(LlamaConfig(), k))
    if unknown:
        raise RecipeError(
            _("model.overrides: {fields} are not LlamaConfig fields", fields=", ".join(unknown)),
            _("see transformers' LlamaConfig for the field names"),
        )
    fields.update(overrides)
    return LlamaConfig(**fields)
