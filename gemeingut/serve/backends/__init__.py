"""Model engines behind the server: the protocol, and the in-process transformers backend.

`TransformersBackend` is imported lazily so that importing the protocol never loads torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gemeingut.serve.backends.protocol import (
    Backend,
    Embedding,
    FinishReason,
    GenerationResult,
    Prompt,
    RequestRejected,
    SamplingParams,
    TextStream,
    Tokenizing,
    TokenLogprob,
    first_stop,
    stable_length,
)

if TYPE_CHECKING:
    from gemeingut.serve.backends.transformers import TransformersBackend

__all__ = [
    "Backend",
    "Embedding",
    "FinishReason",
    "GenerationResult",
    "Prompt",
    "RequestRejected",
    "SamplingParams",
    "TextStream",
    "TokenLogprob",
    "Tokenizing",
    "TransformersBackend",
    "first_stop",
    "stable_length",
]


def __getattr__(name: str) -> Any:
    if name == "TransformersBackend":
        from gemeingut.serve.backends.transformers import TransformersBackend

        return TransformersBackend
    raise AttributeError(name)
