"""Which Hugging Face architectures the export maps onto llama.cpp's, and how each one differs.

llama.cpp's graph for an architecture computes a fixed activation, RoPE layout and norm; a
checkpoint that needs anything else would load and answer wrongly, so it is refused here with
the reason, before a byte is written. The mapping follows llama.cpp's convert_hf_to_gguf.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.model.loading import ADAPTER_CONFIG


@dataclass(frozen=True)
class Architecture:
    """How one Hugging Face architecture maps onto llama.cpp's (as convert_hf_to_gguf.py does)."""

    gguf_arch: gguf.MODEL_ARCH
    activations: tuple[str, ...]  # the hidden_act values llama.cpp's graph computes for it
    rope_interleaved: bool  # llama.cpp's "norm" RoPE wants q/k rows permuted; "neox" does not
    norm_offset: float = 0.0  # Gemma multiplies by (1 + w); llama.cpp stores 1 + w
    head_always_tied: bool = False  # Gemma's llama.cpp graph has no output.weight

    @property
    def name(self) -> str:
        return gguf.MODEL_ARCH_NAMES[self.gguf_arch]


ARCHITECTURES = {
    "LlamaForCausalLM": Architecture(gguf.MODEL_ARCH.LLAMA, ("silu",), rope_interleaved=True),
    "MistralForCausalLM": Architecture(gguf.MODEL_ARCH.LLAMA, ("silu",), rope_interleaved=True),
    "Qwen2ForCausalLM": Architecture(gguf.MODEL_ARCH.QWEN2, ("silu",), rope_interleaved=False),
    "GemmaForCausalLM": Architecture(
        gguf.MODEL_ARCH.GEMMA,
        ("gelu_pytorch_tanh",),
        rope_interleaved=False,
        norm_offset=1.0,
        head_always_tied=True,
    ),
    "Olmo2ForCausalLM": Architecture(gguf.MODEL_ARCH.OLMO2, ("silu",), rope_interleaved=False),
}
MODEL_TYPES = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM"} | {
    "qwen2": "Qwen2ForCausalLM",
    "gemma": "GemmaForCausalLM",
    "olmo2": "Olmo2ForCausalLM",
}


@dataclass
class Shape:
    """The hyper-parameters GGUF needs, read from config.json (transformers 4 or 5)."""

    arch: Architecture
    n_layers: int
    n_embd: int
    n_ff: int
    n_head: int
    n_kv: int
    head_dim: int
    context: int
    rms_eps: float
    vocab_size: int
    rope: dict[str, Any]
    tied: bool


def read_shape(model_dir: Path) -> Shape:
    if (model_dir / ADAPTER_CONFIG).is_file():  # `export_gguf` merges it onto its base first
        raise InputError(
            _(
                "{model} is a LoRA adapter ({config}), and a GGUF holds a whole model",
                model=str(model_dir),
                config=ADAPTER_CONFIG,
            ),
            _(
                "export it with {command}: it is merged onto its base model first",
                command=f"gemeingut model export {model_dir} --out FILE.gguf",
            ),
        )
    config_file = model_dir / "config.json"
    if not config_file.is_file():
        raise InputError(
            _("{model}: no config.json", model=str(model_dir)),
            _("pass a Hugging Face model directory (save_pretrained)"),
        )
    config = json.loads(config_file.read_text(encoding="utf-8"))
    archs = config.get("architectures") or [MODEL_TYPES.get(config.get("model_type"), "?")]
    if archs[0] not in ARCHITECTURES or MODEL_TYPES.get(config.get("model_type")) != archs[0]:
        found = archs[0] if archs[0] != "?" else config.get("model_type")
        raise InputError(
            _(
                "{model}: architecture {found!r} cannot be exported",
                model=str(model_dir),
                found=found,
            ),
            _(
                "supported: {architectures}; convert others with llama.cpp's convert_hf_to_gguf.py",
                architectures=", ".join(ARCHITECTURES),
            ),
        )
    arch = ARCHITECTURES[archs[0]]
    activation = config.get("hidden_activation") or config.get("hidden_act", arch.activations[0])
    if activation not in arch.activations:
        raise InputError(
            _("{model}: hidden_act {activation!r}", model=str(model_dir), activation=activation),
            _(
                "llama.cpp computes {arch} with {activations}",
                arch=arch.name,
                activations=", ".join(arch.activations),
            ),
        )
    if config.get("use_sliding_window") or "sliding_attention" in (config.get("layer_types") or ()):
        raise InputError(
            _("{model}: sliding-window attention in some layers", model=str(model_dir)),
            _("llama.cpp's graph for this architecture attends to the whole context"),
        )
    n_head = config["num_attention_heads"]
    # transformers 5 writes rope_parameters (with rope_theta inside); 4.x rope_theta+rope_scaling.
    rope = {"rope_theta": config.get("rope_theta", 10_000.0), **(config.get("rope_scaling") or {})}
    rope.update(config.get("rope_parameters") or {})
    rope["rope_type"] = rope.get("rope_type", rope.get("type")) or "default"
    if rope["rope_type"] not in ("default", "linear", "llama3"):
        raise InputError(
            _(
                "{model}: RoPE type {rope!r} is not supported by this exporter",
                model=str(model_dir),
                rope=rope["rope_type"],
            ),
            _("supported: default, linear, llama3; use llama.cpp's convert_hf_to_gguf.py"),
        )
    context = config.get("max_position_embeddings", 2048)
    if arch.gguf_arch == gguf.MODEL_ARCH.LLAMA and config.get("sliding_window"):
        # Mistral v0.1 attends to a window; llama.cpp's llama graph does not. Within the window
        # the two agree, so the window is the context the GGUF declares.
        context = min(context, config["sliding_window"])
    return Shape(
        arch=arch,
        n_layers=config["num_hidden_layers"],
        n_embd=config["hidden_size"],
        n_ff=config["intermediate_size"],
        n_head=n_head,
        n_kv=config.get("num_key_value_heads") or n_head,
        head_dim=config.get("head_dim") or config["hidden_size"] // n_head,
        context=context,
        rms_eps=config.get("rms_norm_eps", 1e-6),
        vocab_size=config["vocab_size"],
        rope=rope,
        tied=bool(config.get("tie_word_embeddings", False)),
    )
