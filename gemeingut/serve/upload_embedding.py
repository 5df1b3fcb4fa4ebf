"""What an upload costs, counted like any other use of a model: the server-wide bound on uploads
at once, and the embedding of the new chunks as a model call of the person who uploads.

An upload is read, chunked and embedded in a worker thread (`uploads.add_uploaded`); the
embedding is the expensive part, and without this module it ran beside the model queue and
outside every quota: a person over their `tokens_per_day` could still have the model embed a
large document, and a few large uploads could hold the model while chat requests waited. Here
the embedding of an upload, where the model runs in this process, goes the way
`/v1/embeddings` goes: its tokens are reserved (a 429 naming the limit before anything is
embedded or switched to) and settled after, it takes a place in the model's queue (a 503 with
`Retry-After` where it is full) when it is a model this server serves, and it has an audit
record with its token counts. An embedding endpoint (`--embed http://…`) counts its tokens on
its own server, against the key the operator gave it.
"""

from __future__ import annotations

import dataclasses
import uuid

import numpy as np
from anyio import from_thread
from fastapi import Request

from gemeingut.apps.rag.embedders import Embedder, LocalEmbedder, OpenedOnFirstUse
from gemeingut.i18n import _
from gemeingut.serve.backends import SamplingParams
from gemeingut.serve.gateway.gate import admit
from gemeingut.serve.gateway.identity import Principal
from gemeingut.serve.http_errors import APIError
from gemeingut.serve.limits import DEFAULT_MAX_UPLOADS
from gemeingut.serve.model_queue import ModelQueue
from gemeingut.serve.schemas import Usage
from gemeingut.serve.work import failed, finish

UPLOAD_RETRY_AFTER = 5  # seconds: an upload of a few MiB is usually through by then


class UploadSlots:
    """At most `most` uploads at once in the whole server (each holds its file in memory and a
    worker thread while it is read and embedded, one collection's lock does not bound them);
    one more is a 503 with `Retry-After` at once. Used in the event loop only."""

    def __init__(self, most: int = DEFAULT_MAX_UPLOADS) -> None:
        self.most = most
        self.taken = 0

    def take(self) -> None:
        if self.taken >= self.most:
            raise APIError(
                503,
                _(
                    "the server is taking as many documents at once as it allows ({most}); "
                    "retry in {seconds} s",
                    most=self.most,
                    seconds=UPLOAD_RETRY_AFTER,
                ),
                code="uploads_busy",
                type="server_error",
                headers={"Retry-After": str(UPLOAD_RETRY_AFTER)},
            )
        self.taken += 1

    def give_back(self) -> None:
        self.taken = max(0, self.taken - 1)


class MeteredEmbedder:
    """The collection's embedder as one upload uses it (in the upload's worker thread): each
    `embed` is a model call of the person uploading, admitted, queued, settled and recorded."""

    def __init__(self, inner: Embedder, request: Request, principal: Principal | None) -> None:
        self.inner = inner
        self.name = inner.name
        self._request = request
        # The collection's embedder is not a model the key chooses: it is the collection's,
        # and its groups decide who adds documents. The key's scope must not refuse it.
        self._principal = (
            dataclasses.replace(principal, models=None) if principal is not None else None
        )

    def embed(self, texts: list[str]) -> np.ndarray:
        model = self.inner.opened() if isinstance(self.inner, OpenedOnFirstUse) else self.inner
        if not isinstance(model, LocalEmbedder):  # an endpoint counts on its own server
            return model.embed(texts)
        rows = model.token_rows(texts)
        backend, request = model.backend, self._request
        admission = from_thread.run(
            admit,
            request,
            self._principal,
            backend,
            rows,
            SamplingParams(max_tokens=0),
            1,
            False,
            "body",
            f"upl-{uuid.uuid4().hex}",
        )
        queue = _queue_of(request, backend)
        try:
            ticket = from_thread.run_sync(queue.admit) if queue is not None else None
            if ticket is not None:
                from_thread.run(ticket.__aenter__)
            try:
                vectors = model.embed(texts)
            finally:
                if ticket is not None:
                    from_thread.run(ticket.__aexit__, None, None, None)
        except BaseException as error:
            from_thread.run(failed, admission, error)
            raise
        tokens = sum(len(row) for row in rows)
        request.app.state.metrics.count_tokens(tokens, 0, backend.model_name)
        used = Usage(prompt_tokens=tokens, completion_tokens=0, total_tokens=tokens)
        from_thread.run(finish, admission, 200, used)
        return vectors


def _queue_of(request: Request, backend: object) -> ModelQueue | None:
    """The queue of the served model that embeds, None for a model loaded for embedding only
    (it does not hold the served model; the bound on uploads holds it)."""
    for served in request.app.state.models.values():
        if served.backend is backend:
            return served.queue
    return None
