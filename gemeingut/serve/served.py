"""The models one server serves, by name: each with its backend, a queue of its own (a full queue
of one model refuses none of another's requests), and the openness, audit and card `/v1/models`
shows for it. The first model is the default of the routes that name no model; the document
answers and drafts default to the first model that writes (`writers.writing_model`)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.serve.backends import Backend
from gemeingut.serve.gateway.gate import note_model
from gemeingut.serve.gateway.identity import Principal
from gemeingut.serve.http_errors import APIError, check_model
from gemeingut.serve.model_audit import AuditSummary
from gemeingut.serve.model_card import ModelCardText
from gemeingut.serve.model_openness import ModelOpenness
from gemeingut.serve.model_queue import ModelQueue

SAME_NAME_HINT = _("name one of them with --also NAME=PATH (or the first with --model-name)")


@dataclass(frozen=True)
class ModelEntry:
    """A model to serve, with what its files say about it."""

    backend: Backend
    openness: ModelOpenness | None = None
    audit: AuditSummary | None = None
    card: ModelCardText | None = None  # its README.md, served at /v1/models/{id}/card


@dataclass(frozen=True)
class ServedModel:
    backend: Backend
    queue: ModelQueue
    openness: ModelOpenness | None
    audit: AuditSummary | None
    card: ModelCardText | None = None

    @property
    def name(self) -> str:
        return self.backend.model_name


def served_models(
    entries: list[ModelEntry], max_waiting: int, max_running: int | None
) -> dict[str, ServedModel]:
    """Each entry under its model's name (the first is the default); a name twice is refused."""
    models: dict[str, ServedModel] = {}
    for entry in entries:
        name = entry.backend.model_name
        if name in models:
            raise InputError(
                _("two models are called {name!r}", name=name),
                SAME_NAME_HINT,
            )
        running = max_running or getattr(entry.backend, "max_batch_rows", 1)
        models[name] = ServedModel(
            entry.backend,
            ModelQueue(max_waiting, running),
            entry.openness,
            entry.audit,
            entry.card,
        )
    return models


def served_model(
    request: Request, name: str | None, principal: Principal | None = None, scoped: bool = True
) -> ServedModel:
    """The model a request names (None: the default). A name this server does not serve is a
    404 naming only the models the caller may use, as OpenAI answers it; with a `principal`
    and `scoped`, a model its key may not use is a 403 (model calls leave that check to the
    gateway's admission, which audits it)."""
    note_model(name)  # a 404 is recorded with the id asked for
    models: dict[str, ServedModel] = request.app.state.models
    default = next(iter(models.values()))
    found = default if name is None else models.get(name)
    if found is None or (len(models) == 1 and name is not None):
        if len(models) == 1:
            check_model(name, default.name)
        else:
            visible = [n for n in models if principal is None or principal.may_use(n)]
            raise APIError(
                404,
                _(
                    "the model {name!r} does not exist; this server serves {served}",
                    name=name,
                    served=", ".join(repr(n) for n in visible) or "-",
                ),
                param="model",
                code="model_not_found",
            )
    note_model(found.name)
    if scoped and principal is not None and not principal.may_use(found.name):
        raise APIError(
            403,
            _(
                "the API key {key_id} may not use the model {model!r}",
                key_id=principal.key_id,
                model=found.name,
            ),
            param="model",
            code="model_not_allowed",
            type="permission_error",
        )
    return found
