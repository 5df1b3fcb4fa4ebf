"""The tokenizer routes vLLM offers and lm-evaluation-harness probes before scoring.

`local-completions` asks `GET /tokenizer_info` and `POST /tokenize`; when both answer, it
tokenizes through the server, so a client needs no copy of the model's tokenizer and its token
counts always match the server's. Shapes follow vLLM's (`tokens`, `count`, `max_model_len`;
`prompt` from `/detokenize`). In front of an engine (`Relaying`) the engine's tokenizer answers:
the request passes on with the engine's model name, and its answer is checked against the shape.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, runtime_checkable

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from gemeingut.i18n import _
from gemeingut.serve.backends import Backend, Relaying, RequestRejected
from gemeingut.serve.gateway.gate import CallerDep, caller
from gemeingut.serve.http_errors import APIError
from gemeingut.serve.schemas import ChatMessage, ErrorResponse, Flag, Text, TokenIds
from gemeingut.serve.served import served_model
from gemeingut.serve.work import rejections_as_400

Answer = TypeVar("Answer", bound=BaseModel)

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
    add_special_tokens: Flag | None = Field(
        default=None,
        description="Let the tokenizer add its special tokens (BOS ...); default: yes for a "
        "prompt, no for messages, whose chat template writes its own (as vLLM does).",
    )
    add_generation_prompt: Flag = Field(
        default=True, description="With messages: end with the assistant's turn opening."
    )


class TokenizeResponse(BaseModel):
    count: int
    max_model_len: int | None
    tokens: list[int]


class DetokenizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    tokens: TokenIds


class DetokenizeResponse(BaseModel):
    prompt: str


@runtime_checkable
class LendsTokenizer(Protocol):
    """What these routes ask of a backend in this process: a language model's (`Tokenizing`)
    and an embedding model's (`EncoderBackend`, which names no tokens in log-probabilities)."""

    def tokenize(self, text: str, add_special_tokens: bool = True) -> list[int]: ...

    def detokenize(self, ids: list[int], skip_special_tokens: bool = False) -> str: ...

    def tokenizer_info(self) -> dict[str, Any]: ...


def tokenizer_of(backend: Backend) -> LendsTokenizer:
    if not isinstance(backend, LendsTokenizer):
        raise APIError(404, _("this server's model engine lends no tokenizer"), code="not_found")
    return backend


@tokenizer_router.get("/tokenizer_info")
async def tokenizer_info(
    request: Request, principal: CallerDep, model: str | None = None
) -> dict[str, Any]:
    """Special tokens, chat template and context length of a served model's tokenizer (the
    default model's, or `?model=NAME`'s)."""
    backend = served_model(request, model, principal).backend
    if isinstance(backend, Relaying):
        return await rejections_as_400(backend.relay, "/tokenizer_info", param="model")
    return tokenizer_of(backend).tokenizer_info()


@tokenizer_router.post("/tokenize")
async def tokenize(
    body: TokenizeRequest, request: Request, principal: CallerDep
) -> TokenizeResponse:
    backend = served_model(request, body.model, principal).backend
    if (body.prompt is None) == (body.messages is None):
        said = _("give either prompt or messages")
        raise APIError(400, said, param="prompt", code="exactly_one_required")
    if isinstance(backend, Relaying):
        sent = body.model_dump(exclude_none=True, exclude={"model"})
        answer = await rejections_as_400(backend.relay, "/tokenize", sent, param="prompt")
        return _checked(TokenizeResponse, answer)
    tokenizer = tokenizer_of(backend)
    text = body.prompt
    if body.messages is not None:
        messages = [m.as_template_input() for m in body.messages]
        try:
            text = await run_in_threadpool(
                backend.apply_chat_template, messages, body.add_generation_prompt
            )
        except RequestRejected as rejected:
            raise APIError(400, rejected.message, param="messages", code=rejected.code) from None
    assert text is not None
    special = body.add_special_tokens
    if special is None:
        special = body.messages is None
    ids = tokenizer.tokenize(text, add_special_tokens=special)
    info = tokenizer.tokenizer_info()
    return TokenizeResponse(count=len(ids), max_model_len=info.get("model_max_length"), tokens=ids)


@tokenizer_router.post("/detokenize")
async def detokenize(
    body: DetokenizeRequest, request: Request, principal: CallerDep
) -> DetokenizeResponse:
    backend = served_model(request, body.model, principal).backend
    if isinstance(backend, Relaying):
        sent = {"tokens": body.tokens}
        answer = await rejections_as_400(backend.relay, "/detokenize", sent, param="tokens")
        return _checked(DetokenizeResponse, answer)
    tokenizer = tokenizer_of(backend)
    text = await rejections_as_400(tokenizer.detokenize, body.tokens, param="tokens")
    return DetokenizeResponse(prompt=text)


def _checked(shape: type[Answer], answer: dict[str, Any]) -> Answer:
    """The engine's answer in our shape, or a 502 saying it is not."""
    try:
        return shape.model_validate(answer)
    except ValidationError as error:
        raise APIError(
            502,
            _(
                "the upstream engine's answer is not in the expected shape: {problem}",
                problem=str(error.errors()[0]["msg"]),
            ),
            code="engine_unavailable",
            type="server_error",
        ) from None
