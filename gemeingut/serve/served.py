"""The models one server serves, by name: each with its backend, a queue of its own (a full queue
of one model refuses none of another's requests), and the openness and audit `/v1/models` shows
for it. The first model is the default: the page, the document answers and drafts, and the
routes that name no model use it."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.serve.backends import Backend
from gemeingut.serve.http_errors import APIError, check_model
from gemeingut.serve.model_audit import AuditSummary
from gemeingut.serve.model_openness import ModelOpenness
from gemeingut.serve.model_queue import ModelQueue


@dataclass(frozen=True)
class ModelEntry:
    """A model to serve, with what its files say about it."""

    backend: Backend
    openness: ModelOpenness | None = None
    audit: AuditSummary | None = None


@dataclass(frozen=True)
class ServedModel:
    backend: Backend
    queue: ModelQueue
    openness: ModelOpenness | None
    audit: AuditSummary | None

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
                _("give each model its own name (--model-name, or the folder's name)"),
            )
        running = max_running or getattr(entry.backend, "max_batch_rows", 1)
        models[name] = ServedModel(
            entry.backend, ModelQueue(max_waiting, running), entry.openness, entry.audit
        )
    return models


def served_model(request: Request, name: str | None) -> ServedModel:
    """The model a request names (None: the default); a name this server does not serve is
    a 404, as OpenAI answers it."""
    models: dict[str, ServedModel] = request.app.state.models
    default = next(iter(models.values()))
    if name is None:
        return default
    if len(models) == 1:
        check_model(name, default.name)
        return default
    found = models.get(name)
    if found is None:
        raise APIError(
            404,
            _(
                "the model {name!r} does not exist; this server serves {served}",
                name=name,
                served=", ".join(repr(n) for n in models),
            ),
            param="model",
            code="model_not_found",
        )
    return found
