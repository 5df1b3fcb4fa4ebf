"""Model engines behind the server: the protocol, and the in-process transformers backend.

`TransformersBackend` is imported lazily so that importing the protocol never loads torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gemeingut.serve.backends.protocol import (
    CLIENT_LANGUAGE,
    AsyncTextStream,
    Backend,
    ChatPrompt,
    Embedding,
    EngineUnavailable,
    FinishReason,
    GeneratesAsync,
    GenerationResult,
    Prompt,
    Relaying,
    RequestRejected,
    SamplingParams,
    StreamsAsync,
    TextStream,
    Tokenizing,
    TokenLogprob,
    first_stop,
    stable_length,
)

if TYPE_CHECKING:
    from gemeingut.serve.backends.transformers import TransformersBackend
    from gemeingut.serve.backends.upstream import UpstreamBackend

__all__ = [
    "CLIENT_LANGUAGE",
    "AsyncTextStream",
    "Backend",
    "ChatPrompt",
    "Embedding",
    "EngineUnavailable",
    "FinishReason",
    "GeneratesAsync",
    "GenerationResult",
    "Prompt",
    "Relaying",
    "RequestRejected",
    "SamplingParams",
    "StreamsAsync",
    "TextStream",
    "TokenLogprob",
    "Tokenizing",
    "TransformersBackend",
    "UpstreamBackend",
    "first_stop",
    "stable_length",
]


def __getattr__(name: str) -> Any:
    if name == "TransformersBackend":
        from gemeingut.serve.backends.transformers import TransformersBackend

        return TransformersBackend
    if name == "UpstreamBackend":
        from gemeingut.serve.backends.upstream import UpstreamBackend

        return UpstreamBackend
    raise AttributeError(name)
