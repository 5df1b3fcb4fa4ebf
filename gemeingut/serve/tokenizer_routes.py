"""The tokenizer routes vLLM offers and lm-evaluation-harness probes before scoring.

`local-completions` asks `GET /tokenizer_info` and `POST /tokenize`; when both answer, it
tokenizes through the server, so a client needs no copy of the model's tokenizer and its token
counts always match the server's. Shapes follow vLLM's (`tokens`, `count`, `max_model_len`;
`prompt` from `/detokenize`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from gemeingut.i18n import _
from gemeingut.serve.backends import Backend, RequestRejected, Tokenizing
from gemeingut.serve.gateway.gate import CallerDep, caller
from gemeingut.serve.http_errors import APIError
from gemeingut.serve.schemas import ChatMessage, ErrorResponse, Text
from gemeingut.serve.served import served_model

# With a gateway the tokenizer, too, is for key holders only (`caller` answers 401 otherwise).
tokenizer_router = APIRouter(
    responses={400: {"model": ErrorResponse}}, dependencies=[Depends(caller)]
)


class TokenizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    prompt: Text | None = Field(default=None, description="A text; or give `messages`.")
    messages: list[ChatMessage] | None = Field(
        default=None,
        min_length=1,
        description="A conversation, tokenized through the chat template.",
    )
    add_special_tokens: bool | None = Field(
        default=None,
        description="Let the tokenizer add its special tokens (BOS ...); default: yes for a "
        "prompt, no for messages, whose chat template writes its own (as vLLM does).",
    )
    add_generation_prompt: bool = Field(
        default=True, description="With messages: end with the assistant's turn opening."
    )


class TokenizeResponse(BaseModel):
    count: int
    max_model_len: int | None
    tokens: list[int]


class DetokenizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    tokens: list[int]


class DetokenizeResponse(BaseModel):
    prompt: str


def tokenizer_of(backend: Backend) -> Tokenizing:
    if not isinstance(backend, Tokenizing):
        raise APIError(404, _("this server's model engine lends no tokenizer"), code="not_found")
    return backend


@tokenizer_router.get("/tokenizer_info")
def tokenizer_info(
    request: Request, principal: CallerDep, model: str | None = None
) -> dict[str, Any]:
    """Special tokens, chat template and context length of a served model's tokenizer (the
    default model's, or `?model=NAME`'s)."""
    return tokenizer_of(served_model(request, model, principal).backend).tokenizer_info()


@tokenizer_router.post("/tokenize")
async def tokenize(
    body: TokenizeRequest, request: Request, principal: CallerDep
) -> TokenizeResponse:
    backend = served_model(request, body.model, principal).backend
    tokenizer = tokenizer_of(backend)
    if (body.prompt is None) == (body.messages is None):
        raise APIError(400, _("give either prompt or messages"), param="prompt")
    text = body.prompt
    if body.messages is not None:
        messages = [m.as_template_input() for m in body.messages]
        try:
            text = await run_in_threadpool(
                backend.apply_chat_template, messages, body.add_generation_prompt
            )
        except RequestRejected as rejected:
            raise APIError(400, rejected.message, param="messages") from None
    assert text is not None
    special = body.add_special_tokens
    if special is None:
        special = body.messages is None
    ids = tokenizer.tokenize(text, add_special_tokens=special)
    info = tokenizer.tokenizer_info()
    return TokenizeResponse(count=len(ids), max_model_len=info.get("model_max_length"), tokens=ids)


@tokenizer_router.post("/detokenize")
def detokenize(
    body: DetokenizeRequest, request: Request, principal: CallerDep
) -> DetokenizeResponse:
    tokenizer = tokenizer_of(served_model(request, body.model, principal).backend)
    try:
        return DetokenizeResponse(prompt=tokenizer.detokenize(body.tokens))
    except RequestRejected as rejected:
        raise APIError(400, rejected.message, param="tokens") from None
