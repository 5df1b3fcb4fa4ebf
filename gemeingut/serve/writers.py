"""Which served model writes a draft or an answer from documents: the one a request names in
`model`, as chats take it, else the first model that writes text and that the caller's key may
use. Not simply the first model: a server started with an encoder first (`serve ENCODER --also
LLM`) serves documents by the encoder and writes with the language model beside it."""

from __future__ import annotations

from fastapi import Request

from gemeingut.i18n import _, quoted
from gemeingut.serve.backends import Backend
from gemeingut.serve.backends.encoder import EncoderBackend
from gemeingut.serve.backends.protocol import only_embeds
from gemeingut.serve.gateway.identity import Principal
from gemeingut.serve.http_errors import APIError, backend_errors_as_http
from gemeingut.serve.served import ServedModel, served_model


def writes(backend: Backend) -> bool:
    """Whether a model writes text (chats, completions): an engine behind --upstream that says
    what its model can do is taken at its word; else every one but an encoder in this process,
    which only makes embeddings (`/v1/models` says it as its capabilities)."""
    said_by_engine = getattr(backend, "capabilities_said", None)  # `UpstreamBackend`'s
    if said_by_engine is not None:
        return "completion" in said_by_engine
    return not isinstance(backend, EncoderBackend)


def refuse_unless_writes(model: ServedModel) -> None:
    """A chat or completion of a model that only makes embeddings is a 400 before anything
    runs: also behind --upstream, whose engine would otherwise be asked to write."""
    if not writes(model.backend):
        with backend_errors_as_http("model"):
            only_embeds(model.name)


def writing_model(request: Request, name: str | None, principal: Principal | None) -> ServedModel:
    """The model that writes for this request: the one `name` names (a 404 where the server
    serves none of that name, a 403 where the key may not use it, a 400 where it only makes
    embeddings), else the first that writes and that the key may use (a 400 where none)."""
    models: dict[str, ServedModel] = request.app.state.models
    usable = [m for m in models.values() if principal is None or principal.may_use(m.name)]
    writers = [m.name for m in usable if writes(m.backend)]
    if name is None:
        if not writers:
            raise APIError(
                400,
                _(
                    "none of the models this key may use writes text: they only make "
                    "embeddings; ask the server's administrator for a language model"
                ),
                param="model",
                code="no_model_writes",
            )
        return served_model(request, writers[0], principal)
    chosen = served_model(request, name, principal)
    if not writes(chosen.backend):
        raise APIError(
            400,
            _(
                "the model {name!r} only makes embeddings and writes no text; models that "
                "write: {writers}",
                name=chosen.name,
                writers=quoted(writers) if writers else "-",
            ),
            param="model",
            code="model_cannot_write",
        )
    return chosen
