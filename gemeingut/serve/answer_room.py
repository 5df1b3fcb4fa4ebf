"""A `max_tokens` larger than the model's whole context is a mistake, answered with a 400 as
vLLM answers it, before any quota is reserved or any prompt tokenized.

Only the model's context is checked here: no prompt could leave room for such an answer. A
`max_tokens` that fits the context but not together with this prompt is the backend's to judge:
the model in this process clamps it to the room left (`finish_reason: length`), because
clients often send one default for every model they talk to; an engine behind `--upstream`
judges it itself (vLLM: 400). Where the engine does not say its context (`/v1/models`'
`max_model_len`), the request is passed on as it is.
"""

from __future__ import annotations

from gemeingut.i18n import _
from gemeingut.serve.backends import Backend
from gemeingut.serve.gateway.gate import refusing
from gemeingut.serve.http_errors import APIError


def refuse_beyond_context(backend: Backend, max_tokens: int | None, field: str) -> None:
    """400 where `max_tokens` (sent as `field`: `max_tokens` or `max_completion_tokens`)
    exceeds the context `backend` says; its audit record says `context_length_exceeded`."""
    context = getattr(backend, "context_length", None)
    if max_tokens is None or context is None or max_tokens <= context:
        return
    raise refusing(
        APIError(
            400,
            _(
                "this model's maximum context length is {context} tokens, but {field} asks for "
                "{asked}; ask for at most {context} minus the prompt's tokens",
                context=context,
                field=field,
                asked=max_tokens,
            ),
            param=field,
            code="context_length_exceeded",
        )
    )
