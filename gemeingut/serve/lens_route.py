"""`POST /v1/lens`: the logit lens of the served model, for the page's look inside.

The prompt is screened, admitted (key scope and quota: its prompt tokens), queued and audited
like a completion; the answer is each layer's likeliest next tokens with their probabilities.
Tokens are named as `/v1/completions` names them (part of a character as `bytes:\\xe2\\x80`).
Only a model in this process has layers to show: behind `--upstream` this is a 404.
"""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from gemeingut.i18n import _
from gemeingut.serve.backends import SamplingParams
from gemeingut.serve.gateway.gate import CallerDep, admit
from gemeingut.serve.http_errors import APIError
from gemeingut.serve.logprobs import token_names
from gemeingut.serve.schemas import Count, ErrorResponse, Text, Usage
from gemeingut.serve.screening import screen_texts
from gemeingut.serve.served import served_model
from gemeingut.serve.work import failed, finish, rejections_as_400

lens_router = APIRouter()


class LensRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: Text | None = None
    prompt: Text = Field(min_length=1, max_length=4000)
    top: Count = Field(default=3, ge=1, le=10, description="Tokens to show per layer.")


class TokenShare(BaseModel):
    token: str = Field(description="Its text, or `bytes:\\xe2\\x80` for part of a character.")
    id: int
    probability: float


class LayerReading(BaseModel):
    layer: int = Field(description="1 … the number of layers; the last is the model's answer.")
    top: list[TokenShare]


class LensResponse(BaseModel):
    object: Literal["lens"] = "lens"
    model: str
    tokens: list[str] = Field(description="The prompt as the model's tokens.")
    layers: list[LayerReading]
    usage: Usage


@lens_router.post(
    "/v1/lens",
    response_model=LensResponse,
    responses={400: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)
async def logit_lens(body: LensRequest, request: Request, principal: CallerDep) -> LensResponse:
    """What each layer of the model would predict as the next token after `prompt`."""
    model = served_model(request, body.model, principal, scoped=False)
    backend = model.backend
    if not callable(getattr(backend, "logit_lens", None)):  # an engine elsewhere: no layers
        raise APIError(
            404, _("this server's model engine cannot show its layers"), code="not_found"
        )
    request_id = f"lens-{uuid.uuid4().hex}"
    [prompt], decision = await run_in_threadpool(
        screen_texts, request, principal, request_id, [body.prompt], "prompt", backend.model_name
    )
    ids = await run_in_threadpool(backend.tokenize, prompt)
    params = SamplingParams(max_tokens=0)
    admission = await admit(
        request, principal, backend, [prompt], params, 1, False, "prompt", request_id, decision
    )
    try:
        async with model.queue.admit():
            guesses = await rejections_as_400(backend.logit_lens, ids, body.top, param="prompt")
    except BaseException as error:
        await failed(admission, error)
        raise
    usage = Usage(prompt_tokens=len(ids), completion_tokens=0, total_tokens=len(ids))
    await finish(admission, 200, usage)
    names = token_names(backend, [i for layer in guesses for i, _p in layer])
    shares = iter(names)
    return LensResponse(
        model=backend.model_name,
        tokens=token_names(backend, ids),
        layers=[
            LayerReading(
                layer=number,
                top=[TokenShare(token=next(shares), id=i, probability=p) for i, p in layer],
            )
            for number, layer in enumerate(guesses, 1)
        ],
        usage=usage,
    )
