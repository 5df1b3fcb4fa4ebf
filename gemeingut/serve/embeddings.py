"""`POST /v1/embeddings` in OpenAI's shape: vectors for texts or token ids, for the retrieval of
the applications (issue 12) and any client written against OpenAI.

The request goes the way a completion goes: key, policy screening, quota (its prompt tokens),
a place in the queue, the audit record; `dimensions` is accepted only at the model's own size
(we do not truncate vectors, which would change their meaning for this model). `prompt_name`
(text-embeddings-inference's field, which its clients send) puts the model's prompt of that
name before each text: `query`, or `document` by any of the names sentence-transformers'
`encode_document` knows it by (`passage`, `corpus`); a name the model has no prompt for is a
400 that names those it has.
"""

from __future__ import annotations

import base64
import uuid
from typing import Literal

import numpy as np
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from gemeingut.i18n import _, quoted
from gemeingut.model.encoder_layout import DOCUMENT_PROMPT_NAMES, QUERY_PROMPT_NAMES
from gemeingut.serve.backends import Embedding, SamplingParams
from gemeingut.serve.gateway.gate import CallerDep, admit
from gemeingut.serve.http_errors import APIError
from gemeingut.serve.schemas import Count, ErrorResponse, Prompts, Text, Usage
from gemeingut.serve.screening import screen_prompts
from gemeingut.serve.served import served_model
from gemeingut.serve.work import failed, finish, rejections_as_400

MAX_INPUTS = 2048  # OpenAI's limit per request


class EmbeddingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: Text = Field(description="Model id, as listed by `GET /v1/models`.")
    input: Prompts = Field(
        description="A text, a list of texts, a list of token ids, or a list of such lists."
    )
    encoding_format: Literal["float", "base64"] = Field(
        default="float", description="`base64`: little-endian float32, as OpenAI sends it."
    )
    dimensions: Count | None = Field(
        default=None, ge=1, description="Only the model's own size is supported."
    )
    user: Text | None = None
    prompt_name: Text | None = Field(
        default=None,
        description="The model's prompt put before each text (as text-embeddings-inference "
        "takes it): `query`, or `document` (also `passage`, `corpus`); `GET /v1/models` names "
        "the model's `prompts`.",
    )

    @field_validator("input")
    @classmethod
    def _some_input(cls, value: object) -> object:
        if isinstance(value, list) and not value:
            raise ValueError(_("give at least one input"))
        if isinstance(value, list) and len(value) > MAX_INPUTS:
            raise ValueError(_("at most {count} inputs per request", count=str(MAX_INPUTS)))
        if isinstance(value, list) and any(isinstance(v, list) and not v for v in value):
            raise ValueError(_("an input is an empty list of token ids"))
        return value

    def inputs(self) -> list[str | list[int]]:
        value = self.input
        if isinstance(value, str):
            return [value]
        if all(isinstance(v, int) for v in value):
            return [list(value)]  # type: ignore[arg-type]
        return list(value)  # type: ignore[arg-type]


class EmbeddingData(BaseModel):
    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str


class EmbeddingUsage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[EmbeddingData]
    model: str
    usage: EmbeddingUsage


embeddings_router = APIRouter()


@embeddings_router.post(
    "/v1/embeddings",
    responses={400: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)
async def embeddings(
    body: EmbeddingRequest, request: Request, principal: CallerDep
) -> EmbeddingResponse:
    """Vectors for texts (mean-pooled last hidden states, unit length)."""
    model = served_model(request, body.model, principal, scoped=False)
    backend = model.backend
    if not isinstance(backend, Embedding):
        said = _("this model's engine computes no embeddings")
        raise APIError(400, said, param="model", code="model_cannot_embed")
    inputs = body.inputs()
    if body.prompt_name is not None:
        inputs = _prompted(inputs, body.prompt_name, getattr(backend, "prompts", None))
    request_id = f"emb-{uuid.uuid4().hex}"
    prompts, decision = await run_in_threadpool(
        screen_prompts, request, principal, request_id, backend, inputs, "input"
    )
    params = SamplingParams(max_tokens=0)
    admission = await admit(
        request, principal, backend, prompts, params, 1, False, "input", request_id, decision
    )
    try:
        async with model.queue.admit():
            embedded = await rejections_as_400(backend.embed, prompts, param="input")
    except BaseException as error:
        await failed(admission, error)
        raise
    size = len(embedded[0][0])
    tokens = sum(count for _, count in embedded)
    if body.dimensions not in (None, size):
        await finish(admission, 400)
        raise APIError(
            400,
            _(
                "dimensions: this model's embeddings have {size} dimensions; leave the field out",
                size=size,
            ),
            param="dimensions",
            code="unsupported_value",
        )
    request.app.state.metrics.count_tokens(tokens, 0, backend.model_name)
    usage = EmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens)
    await finish(
        admission, 200, Usage(prompt_tokens=tokens, completion_tokens=0, total_tokens=tokens)
    )
    data = [
        EmbeddingData(index=i, embedding=_encoded(vector, body.encoding_format))
        for i, (vector, _) in enumerate(embedded)
    ]
    return EmbeddingResponse(data=data, model=backend.model_name, usage=usage)


def _prompted(
    inputs: list[str | list[int]], name: str, prompts: dict[str, str] | None
) -> list[str | list[int]]:
    """Each text after the model's prompt called `name` (`prompts`: the sides the model has,
    as `/v1/models` names them; None where its engine does not say); a 400 for a name the
    model has no prompt for, or for token ids (a prompt is text, and the tokens of a prompt
    and of a text are not those of both together)."""
    names = {n: "query" for n in QUERY_PROMPT_NAMES} | {
        n: "document" for n in DOCUMENT_PROMPT_NAMES
    }
    known = [n for n, side in names.items() if (prompts or {}).get(side)]
    if name not in known:
        said = (
            _("it knows {names}", names=quoted(known))
            if known
            else _("this model names no prompts; leave the field out")
        )
        raise APIError(
            400,
            _("prompt_name {name}: the model has no prompt of this name; {said}",
              name=quoted([name]), said=said),
            param="prompt_name",
            code="invalid_value",
        )  # fmt: skip
    if any(not isinstance(one, str) for one in inputs):
        raise APIError(
            400,
            _("prompt_name is put before texts: give texts, not token ids"),
            param="input",
            code="invalid_type",
        )
    prompt = (prompts or {})[names[name]]
    return [prompt + str(one) for one in inputs]


def _encoded(vector: list[float], encoding: str) -> list[float] | str:
    if encoding == "float":
        return vector
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")
