"""What an upload costs, counted like any other use of a model: the embedding of the new chunks
as a model call of the person who uploads (the bound on uploads at once: `upload_slots.py`).

An upload is read, chunked and embedded in a worker thread (`uploads.add_uploaded`); the
embedding is the expensive part, and without this module it ran beside the model queue and
outside every quota: a person over their `tokens_per_day` could still have the model embed a
large document, and a few large uploads could hold the model while chat requests waited. Here
the embedding of an upload goes the way `/v1/embeddings` goes: its tokens are reserved (a 429
naming the limit before anything is embedded or switched to) and settled after, it takes a
place in the model's queue (a 503 with `Retry-After` where it is full) when it is a model this
server serves, and it has an audit record with its token counts.

An embedding endpoint (`--embed http://…`, another OpenAI-compatible server) counts against
the uploader's quota here too, else a person over their tokens could have it embed without end:
its tokens cannot be counted before the call (its tokenizer is not ours), so the most they can
be is reserved (`RemoteEncoder`), and the count the endpoint's answer states (`usage`) is what
is settled. Where it states none, the reservation counts and the audit record's token counts
stay empty, as for an engine that told no usage: the tokenizer of a model served here is not
the endpoint's, and a count from it would be a number nobody computed for that model.

The uploader pays for their own document only. An upload is an ingest, and an ingest embeds
again the chunks of other documents that a newer gemeingut reads otherwise (`READER_FORMAT`)
or that a model now embeds otherwise: that is the operator's upkeep of the collection, not the
uploader's use. It takes its place in the model's queue like any embedding, is counted against
nobody's quota, and has an audit record of its own under no person and no key, its decision
`MAINTENANCE` and its token counts, so that each person's totals stay theirs and the model's
whole use is still in the log (`x_request_id` ties it to the upload that caused it).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from anyio import from_thread
from fastapi import Request

from gemeingut.apps.rag.embedders import (
    Embedder,
    EndpointEmbedder,
    LocalEmbedder,
    OpenedOnFirstUse,
)
from gemeingut.serve.backends import Prompt, SamplingParams
from gemeingut.serve.gateway.gate import admit
from gemeingut.serve.gateway.identity import Principal, utcnow
from gemeingut.serve.model_queue import ModelQueue
from gemeingut.serve.schemas import Usage
from gemeingut.serve.work import failed, finish

if TYPE_CHECKING:
    from gemeingut.serve.backends import TransformersBackend
    from gemeingut.serve.backends.encoder import EncoderBackend

MAINTENANCE = "maintenance"  # the audit decision of an upload's upkeep embedding


class MeteredEmbedder:
    """The collection's embedder as one upload uses it (in the upload's worker thread): each
    `embed` is a model call of the person uploading, admitted, queued, settled and recorded;
    with `upkeep`, the operator's (the other documents embedded again): queued and recorded as
    `MAINTENANCE`, nobody's quota reserved or charged."""

    def __init__(
        self,
        inner: Embedder,
        request: Request,
        principal: Principal | None,
        upkeep: bool = False,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self._request = request
        self._upkeep = upkeep
        # The collection's embedder is not a model the key chooses: it is the collection's,
        # and its groups decide who adds documents. The key's scope must not refuse it.
        self._principal = (
            dataclasses.replace(principal, models=None) if principal is not None else None
        )

    def embed(self, texts: list[str]) -> np.ndarray:
        model = self.inner.opened() if isinstance(self.inner, OpenedOnFirstUse) else self.inner
        if isinstance(model, LocalEmbedder):
            queue = _queue_of(self._request, model.backend)
            rows = model.token_rows(texts)
            return self._metered(model.backend, rows, queue, partial(model.embed_counted, texts))
        assert isinstance(model, EndpointEmbedder)  # the one other kind of embedder
        remote = RemoteEncoder(model.name)
        return self._metered(remote, texts, None, partial(model.embed_counted, texts))

    def _metered(
        self,
        backend: TransformersBackend | EncoderBackend | RemoteEncoder,
        prompts: list[Prompt],
        queue: ModelQueue | None,
        run: Callable[[], tuple[np.ndarray, int | None]],
    ) -> np.ndarray:
        """`run` (the vectors and the tokens read, None where unknown) as the uploader's model
        call: admitted (its quota reserved), queued where the model is served here, settled
        and recorded however it ends; the operator's upkeep where this is one."""
        if self._upkeep:
            return self._maintained(backend.model_name, queue, run)
        request = self._request
        admission = from_thread.run(
            admit,
            request,
            self._principal,
            backend,
            prompts,
            SamplingParams(max_tokens=0),
            1,
            False,
            "body",
            f"upl-{uuid.uuid4().hex}",
        )
        try:
            vectors, tokens = _queued(queue, run)
        except BaseException as error:
            from_thread.run(failed, admission, error)
            raise
        used = Usage(prompt_tokens=tokens or 0, completion_tokens=0, total_tokens=tokens or 0)
        if tokens is not None:
            request.app.state.metrics.count_tokens(tokens, 0, backend.model_name)
        from_thread.run(partial(finish, admission, 200, used, known=tokens is not None))
        return vectors

    def _maintained(
        self,
        model: str,
        queue: ModelQueue | None,
        run: Callable[[], tuple[np.ndarray, int | None]],
    ) -> np.ndarray:
        """`run` as the operator's upkeep: queued, counted in the model's metrics, recorded
        under no person (`MAINTENANCE`); a failure is the upload's (its 502 is recorded)."""
        request = self._request
        started = time.monotonic()
        vectors, tokens = _queued(queue, run)
        if tokens is not None:
            request.app.state.metrics.count_tokens(tokens, 0, model)
        gateway = request.app.state.gateway
        if gateway is not None:
            record = partial(
                gateway.audit.write,
                None,
                None,
                at=utcnow(),
                request_id=f"upk-{uuid.uuid4().hex}",
                key_id=None,
                route=request.url.path,
                model=model,
                status=200,
                decision=MAINTENANCE,
                prompt_tokens=tokens,
                completion_tokens=0 if tokens is not None else None,
                duration_ms=int((time.monotonic() - started) * 1000),
            )
            from_thread.run(gateway.call, record)
        return vectors


def _queued(
    queue: ModelQueue | None, run: Callable[[], tuple[np.ndarray, int | None]]
) -> tuple[np.ndarray, int | None]:
    """`run` in its turn in `queue` (the served model's; None: no queue to wait in)."""
    ticket = from_thread.run_sync(queue.admit) if queue is not None else None
    if ticket is not None:
        from_thread.run(ticket.__aenter__)
    try:
        return run()
    finally:
        if ticket is not None:
            from_thread.run(ticket.__aexit__, None, None, None)


class RemoteEncoder:
    """An embedding endpoint's model as the quota sees it before the call: its name (the audit
    record's model) and the most tokens texts can be for a tokenizer we do not have. A token
    stands for at least one byte of the text (byte-level BPE, SentencePiece with byte fallback,
    WordPiece alike), and a model adds a few of its own to each text (start, end, a prefix)."""

    SPECIAL_TOKENS = 8  # per text: more than any common encoder adds

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def max_tokens_needed(self, prompts: list[str], params: SamplingParams, n: int = 1) -> int:
        return sum(len(p.encode("utf-8")) + self.SPECIAL_TOKENS for p in prompts)


def _queue_of(request: Request, backend: object) -> ModelQueue | None:
    """The queue of the served model that embeds, None for a model loaded for embedding only
    (it does not hold the served model; the bound on uploads holds it)."""
    for served in request.app.state.models.values():
        if served.backend is backend:
            return served.queue
    return None
