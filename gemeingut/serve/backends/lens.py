"""The logit lens (nostalgebraist, 2020): what each layer would predict as the next token.

Each layer's hidden state at the last position is read through the model's final norm and
output head, as if the model ended there. The last layer's reading is the model's own
next-token distribution (its hidden state is already normed); the earlier ones show how the
prediction forms through the layers. It needs the weights in this process.
"""

from __future__ import annotations

from typing import Any

TokenGuess = tuple[int, float]  # token id, probability


def layer_guesses(
    model: Any, ids: list[int], top: int, device: Any = "cpu"
) -> list[list[TokenGuess]]:
    """For each layer (1 … L), the `top` likeliest next tokens after `ids` (on `device`, where
    the model's weights are)."""
    import torch

    with torch.inference_mode():
        input_ids = torch.tensor([ids], device=device)
        out = model(input_ids=input_ids, output_hidden_states=True)
        states = out.hidden_states  # the embeddings, then one per layer (the last one normed)
        norm = _final_norm(model)
        head = model.get_output_embeddings()
        guesses = []
        for layer in range(1, len(states)):
            hidden = states[layer][0, -1]
            if layer < len(states) - 1 and norm is not None:
                hidden = norm(hidden)
            probabilities = torch.softmax(head(hidden).float(), dim=-1)
            values, indices = probabilities.topk(min(top, probabilities.numel()))
            guesses.append(list(zip(indices.tolist(), values.tolist(), strict=True)))
    return guesses


def _final_norm(model: Any) -> Any:
    """The norm after the last layer (`model.model.norm` in Llama, Mistral, Qwen2, Gemma,
    OLMo 2), or None where the architecture has none under that name."""
    inner = getattr(model, getattr(model, "base_model_prefix", "model"), None)
    return getattr(inner, "norm", None)
