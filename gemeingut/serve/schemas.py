"""The HTTP contract: OpenAI's request and response shapes as pydantic models.

These models are the API documentation (FastAPI renders them at `/docs`). They follow OpenAI's
field names and shapes exactly, so that the official clients, LangChain, lm-evaluation-harness,
curl recipes and other tools written against OpenAI work unchanged. A field we do not implement
is a 400 naming it, never silently ignored: a client that asks for tools, penalties or a JSON
schema and gets plain text would draw wrong conclusions. Such fields are accepted only at their
neutral value (a penalty of 0, no tools), which is what many clients send by default.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_serializer,
)
from pydantic_core import PydanticCustomError

from gemeingut.i18n import Message, _
from gemeingut.i18n.validation import is_mismatch
from gemeingut.serve.backends.upstream import Capability
from gemeingut.serve.model_audit import AuditSummary
from gemeingut.serve.model_card import CardLink
from gemeingut.serve.model_openness import ModelOpenness

# Where a served model comes from (`provenance.py` tells which), as `/v1/models` names it.
Provenance = Literal["own", "forwarded", "foreign"]

FinishReason = Literal["stop", "length"]
MAX_CHOICES = 16
MAX_TOP_LOGPROBS = 20


def encodable(text: str) -> str:
    """JSON may carry a lone surrogate (`"\\ud800"`), which no tokenizer can encode: refuse it
    here, where the field can still be named."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(
            _(
                "character {index} ({char}) is half of a UTF-16 surrogate pair, not text; send "
                "valid Unicode",
                index=str(error.start),
                char=repr(text[error.start]),
            )
        ) from None
    return text


Text = Annotated[str, AfterValidator(encodable)]
# JSON's true and false are no numbers: pydantic's lax mode would take `"max_tokens": true` as
# 1 and `"temperature": true` as 1.0 (and "2" as 2). A count takes whole numbers only, a
# number also whole ones.
Count = Annotated[int, Strict()]
Number = Annotated[float, Strict()]
# Nor are 1, 0 or "yes" a truth value: `"stream": 1` is a client's mistake, not a stream.
Flag = Annotated[bool, Strict()]


def one_of(accepts: Message) -> WrapValidator:
    """A union field whose value fits none of its kinds says what it accepts, in one sentence:
    pydantic would report each branch's mismatch (`prompt: must be a text; prompt.0: …`). A value
    of the right kind that is wrong inside (a list of texts, one of them not Unicode) keeps its
    own errors."""

    def validate(value: object, handler: ValidatorFunctionWrapHandler) -> object:
        try:
            return handler(value)
        except ValidationError as error:
            if all(is_mismatch(str(e["type"])) for e in error.errors()):
                raise ValueError(accepts) from None
            raise

    return WrapValidator(validate)


TokenIds = list[Count]
# `stop` is searched for in the answer after every token (and every stop's start held back
# until it cannot begin one), so its strings are bounded before any work, as every request is.
# Not OpenAI's 4: clients written for vLLM or llama-server, which take any number, may send
# more (lm-evaluation-harness sends a task's whole `until` list). 16 strings of at most 256
# characters each leave room for such lists and keep the work per token small.
MAX_STOPS = 16
MAX_STOP_CHARS = 256


def _short_stop(text: str) -> str:
    """At most `MAX_STOP_CHARS`, counted after `encodable`: a `max_length` on the field would
    have pydantic refuse a lone surrogate first, without saying what is wrong with it."""
    if len(text) > MAX_STOP_CHARS:
        raise PydanticCustomError(
            "string_too_long",
            "String should have at most {max_length} characters",
            {"max_length": MAX_STOP_CHARS},
        )
    return text


StopText = Annotated[
    Text, AfterValidator(_short_stop), Field(json_schema_extra={"maxLength": MAX_STOP_CHARS})
]
Stops = Annotated[
    StopText | Annotated[list[StopText], Field(max_length=MAX_STOPS)],
    one_of(_("must be a text or a list of texts")),
]
Prompts = Annotated[
    Text | list[Text] | TokenIds | list[TokenIds],
    one_of(
        _(
            "must be a text, a list of texts, a list of token ids (whole numbers) or a list of "
            "lists of token ids"
        )
    ),
]


class StreamOptions(BaseModel):
    include_usage: Flag = Field(
        default=False, description="Send a last chunk with `usage` and no choices."
    )
    continuous_usage_stats: Flag = Field(
        default=False,
        description=(
            "vLLM's extension, with `include_usage`: every chunk also carries `usage`, the "
            "tokens generated until then (a client that stops reading knows what it used)."
        ),
    )


class UsageChunks(Enum):
    """Which chunks of a stream carry `usage`: none, a last chunk of its own (OpenAI's
    `include_usage`), or that and every other chunk with its counts until then (vLLM's
    `continuous_usage_stats`, which vLLM honours only together with `include_usage`)."""

    NONE = "none"
    LAST = "last"
    EVERY = "every"


class _Request(BaseModel):
    """Sampling fields shared by both endpoints."""

    model_config = ConfigDict(extra="forbid")

    model: Text = Field(description="Model id, as listed by `GET /v1/models`.")
    max_tokens: Count | None = Field(
        default=None, ge=1, description="Upper bound on generated tokens (clamped to the context)."
    )
    temperature: Number = Field(default=1.0, ge=0.0, le=2.0, description="0 means greedy.")
    top_p: Number = Field(default=1.0, ge=0.0, le=1.0, description="Nucleus sampling mass.")
    stream: Flag = False
    stream_options: StreamOptions | None = Field(
        default=None, description="Only with `stream: true`, as OpenAI and vLLM take it."
    )
    stop: Stops | None = Field(
        default=None,
        description=f"Text is cut before the first of these strings (at most {MAX_STOPS}, "
        f"of at most {MAX_STOP_CHARS} characters each).",
    )
    n: Count = Field(
        default=1, ge=1, le=MAX_CHOICES, description="Number of choices (without streaming)."
    )
    seed: Count | None = Field(
        default=None,
        ge=-(2**63),
        le=2**63 - 1 - MAX_CHOICES,
        description="Same seed, same settings: same text (choice i uses seed + i).",
    )
    user: Text | None = None
    # Accepted at their neutral value only (see the module docstring).
    frequency_penalty: Number | None = Field(default=None, description="Only 0 is supported.")
    presence_penalty: Number | None = Field(default=None, description="Only 0 is supported.")
    logit_bias: dict[str, Number] | None = Field(default=None, description="Only {} is supported.")

    @field_validator("stream_options")
    @classmethod
    def _only_streamed(
        cls, options: StreamOptions | None, info: ValidationInfo
    ) -> StreamOptions | None:
        """OpenAI and vLLM refuse `stream_options` without a stream: a client that sends it
        expects usage chunks that an answer in one piece never has. (Where `stream` itself
        was wrong, its own error says so.)"""
        if options is not None and info.data.get("stream") is False:
            raise ValueError(
                _(
                    "is only taken with {stream}; ask for a stream, or leave the field out",
                    stream='"stream": true',
                )
            )
        return options

    @field_validator("frequency_penalty", "presence_penalty")
    @classmethod
    def _no_penalty(cls, value: float | None) -> float | None:
        if value:
            raise ValueError(_("penalties are not supported by this server; leave the field out"))
        return value

    @field_validator("logit_bias")
    @classmethod
    def _no_bias(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value:
            raise ValueError(_("logit_bias is not supported by this server; leave the field out"))
        return value

    def stop_strings(self) -> tuple[str, ...]:
        """`stop` as a tuple, without empty strings (which would stop before the first token)."""
        if self.stop is None:
            return ()
        stops = [self.stop] if isinstance(self.stop, str) else self.stop
        return tuple(s for s in stops if s)

    def usage_chunks(self) -> UsageChunks:
        """Which chunks of a stream carry `usage` (`UsageChunks`)."""
        options = self.stream_options
        if options is None or not options.include_usage:
            return UsageChunks.NONE
        return UsageChunks.EVERY if options.continuous_usage_stats else UsageChunks.LAST


class TextPart(BaseModel):
    """One part of a multi-part message; only text parts are understood."""

    type: Literal["text"]
    text: Text


class ChatMessage(BaseModel):
    # "developer" is what newer OpenAI clients send instead of "system".
    role: Literal["system", "developer", "user", "assistant"]
    content: Annotated[
        Text | list[TextPart],
        one_of(_("must be a text or a list of parts {part}", part='{"type": "text", "text": "…"}')),
    ]

    def as_template_input(self) -> dict[str, str]:
        """The `{"role", "content"}` dict a chat template expects."""
        role = "system" if self.role == "developer" else self.role
        content = self.content
        if not isinstance(content, str):
            content = "".join(part.text for part in content)
        return {"role": role, "content": content}


class ChatCompletionRequest(_Request):
    messages: list[ChatMessage] = Field(min_length=1)
    max_completion_tokens: Count | None = Field(
        default=None, ge=1, description="Newer name for `max_tokens`; wins if both are given."
    )
    logprobs: Flag = Field(default=False, description="Log-probability of every answer token.")
    top_logprobs: Count | None = Field(
        default=None,
        ge=0,
        le=MAX_TOP_LOGPROBS,
        description="With `logprobs`: this many likeliest tokens at each position.",
    )
    # Accepted at their neutral value only.
    tools: list[dict[str, Any]] | None = Field(default=None, description="Only [] is supported.")
    tool_choice: str | None = Field(default=None, description="Only 'none' is supported.")
    response_format: dict[str, Any] | None = Field(
        default=None, description='Only {"type": "text"} is supported.'
    )
    parallel_tool_calls: Flag | None = None

    @field_validator("tools")
    @classmethod
    def _no_tools(cls, value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        if value:
            raise ValueError(_("tool calling is not supported by this server; leave the field out"))
        return value

    @field_validator("tool_choice")
    @classmethod
    def _no_tool_choice(cls, value: str | None) -> str | None:
        if value not in (None, "none"):
            raise ValueError(_("tool calling is not supported by this server; leave the field out"))
        return value

    @field_validator("response_format")
    @classmethod
    def _text_only(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value not in (None, {"type": "text"}):
            raise ValueError(_("only plain text answers are supported; leave the field out"))
        return value

    def token_limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    def token_limit_field(self) -> str:
        """The field `token_limit` came from, which a refusal of it names."""
        return "max_completion_tokens" if self.max_completion_tokens else "max_tokens"

    def top_k(self) -> int | None:
        """How many alternatives per token to return; None when no logprobs were asked for."""
        return (self.top_logprobs or 0) if self.logprobs else None


class CompletionRequest(_Request):
    prompt: Prompts = Field(
        description="A text, a list of texts, a list of token ids, or a list of such lists; "
        "every prompt gets `n` choices."
    )
    # OpenAI's legacy completions endpoint generates 16 tokens unless told otherwise; 0 with
    # `echo` only scores the prompt.
    max_tokens: Count | None = Field(default=16, ge=0)
    echo: Flag = Field(default=False, description="Return the prompt before the continuation.")
    logprobs: Count | None = Field(
        default=None,
        ge=0,
        le=MAX_TOP_LOGPROBS,
        description="Log-probability of every token (of the prompt too, with `echo`) and this "
        "many likeliest alternatives at each position.",
    )
    best_of: Count | None = Field(default=None, description="Only equal to `n` is supported.")
    suffix: str | None = Field(default=None, description="Not supported (insertion).")
    return_tokens_as_token_ids: Flag = Field(
        default=False,
        description="With `logprobs`: tokens as `token_id:N` (as vLLM names it), for clients "
        "that need the exact ids of the answer.",
    )

    @field_validator("prompt")
    @classmethod
    def _some_prompt(cls, prompt: object) -> object:
        if isinstance(prompt, list) and not prompt:
            raise ValueError(_("give at least one prompt"))
        return prompt

    @field_validator("suffix")
    @classmethod
    def _no_suffix(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError(_("suffix (text insertion) is not supported; leave the field out"))
        return value

    def prompts(self) -> list[str | list[int]]:
        """The prompts one by one: a text or a list of token ids each."""
        prompt = self.prompt
        if isinstance(prompt, str):
            return [prompt]
        if all(isinstance(p, int) for p in prompt):
            return [list(prompt)]  # type: ignore[arg-type]
        return list(prompt)  # type: ignore[arg-type]

    def token_limit(self) -> int | None:
        return self.max_tokens

    def token_limit_field(self) -> str:
        return "max_tokens"


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class TopLogprob(BaseModel):
    token: str = Field(
        description="The token's text; where it holds only part of a character, its bytes "
        "escaped as OpenAI's chat writes them (`\\xe2\\x80`)."
    )
    logprob: float
    bytes: list[int] | None = Field(
        description="The token's bytes (UTF-8): where it holds part of a character, that part's "
        "bytes, which joined with the next tokens' give the character."
    )


class TokenLogprob(TopLogprob):
    top_logprobs: list[TopLogprob]


class ChatLogprobs(BaseModel):
    content: list[TokenLogprob] | None


class ChatChoice(BaseModel):
    index: int = 0
    message: AssistantMessage
    logprobs: ChatLogprobs | None = None
    finish_reason: FinishReason


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage


class Delta(BaseModel):
    """The change a chunk brings; absent fields are left out, as OpenAI does."""

    role: Literal["assistant"] | None = None
    content: str | None = None

    @model_serializer
    def _without_nones(self) -> dict[str, Any]:
        return {k: v for k, v in (("role", self.role), ("content", self.content)) if v is not None}


class ChatChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    logprobs: None = None
    finish_reason: FinishReason | None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChatChunkChoice]
    usage: Usage | None = None


class CompletionLogprobs(BaseModel):
    """OpenAI's legacy shape, which lm-evaluation-harness reads: per token its text, its
    log-probability (None for the first prompt token), the likeliest alternatives, and where it
    starts in the choice's text."""

    tokens: list[str] = Field(
        description="Each token's text; where it holds only part of a character, its bytes as "
        "OpenAI's legacy completions write them (`bytes:\\xe2\\x80`), also as a key of "
        "`top_logprobs`."
    )
    token_logprobs: list[float | None]
    top_logprobs: list[dict[str, float] | None]
    text_offset: list[int] = Field(
        description="Where each token starts in `text`; part of a character: where the "
        "character starts."
    )


class CompletionChoice(BaseModel):
    index: int = 0
    text: str
    logprobs: CompletionLogprobs | None = None
    finish_reason: FinishReason | None


class Completion(BaseModel):
    """Both the whole answer and, while streaming, each chunk (OpenAI uses one shape)."""

    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "gemeingut"
    max_model_len: int | None = Field(
        default=None,
        description="Context length in tokens (vLLM's field), counted as /tokenize counts: an "
        "encoder's own tokens (CLS, SEP) included.",
    )
    license: str | None = Field(default=None, description="The weights' licence (SPDX).")
    provenance: Provenance | None = Field(
        default=None,
        description="Where the model comes from, as the server knows it: `own`, a Gemeingut "
        "release bundle this server runs; `forwarded`, an engine behind --upstream (even with "
        "--model-card: that the engine serves that model is the operator's word); `foreign`, "
        "any other model folder.",
    )
    capabilities: list[Capability] = Field(
        default_factory=list,
        description="What the model can be asked, from the engine that runs it (Ollama's "
        "words, and `chat`): `completion` for /v1/completions, `chat` for /v1/chat/completions "
        "(a model in this process only with a chat template), `embedding` for /v1/embeddings. "
        "An embedding model (an encoder) has no `completion`. Behind --upstream, what the "
        "engine says (`capabilities` on its /v1/models, as gemeingut says it, or Ollama's "
        "/api/show, where `completion` includes chats); all three where it says nothing, and "
        "the engine may still refuse one.",
    )
    prompts: dict[str, str] | None = Field(
        default=None,
        description="The texts an embedding model wants before a text to embed: `query` before "
        "a question, `document` before a passage (sentence-transformers' `encode_query` and "
        "`encode_document`, from the model's config_sentence_transformers.json); {}: the model "
        "has none; null: not known (an engine behind --upstream that does not say).",
    )
    openness: ModelOpenness | None = Field(
        default=None,
        description="Computed from the model's files (behind --upstream: from --model-card's "
        "folder); 'Unclassified' where there are none.",
    )
    audit: AuditSummary | None = Field(
        default=None, description="The release bundle's audit in numbers; null: not audited."
    )
    card: CardLink | None = Field(
        default=None,
        description="The model card (README.md) on this server, its title and first "
        "paragraph; null: the server has no card of this model.",
    )


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class ErrorDetail(BaseModel):
    message: str
    type: str = "invalid_request_error"
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    """OpenAI's error envelope; clients read `error.message`."""

    error: ErrorDetail


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    model: str


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    model: str
    waiting: int = Field(description="Requests waiting for the model now.")
