"""The one small protocol the server (and the audit) speaks to a model engine.

The HTTP layer never touches torch: it hands prompts (text or token ids) and `SamplingParams`
to a `Backend` and gets `GenerationResult`s back, whole or piece by piece (`stream`). Log
probabilities travel as token ids and floats; turning them into OpenAI's shapes is the HTTP
layer's job (`serve/logprobs.py`). That keeps the API identical whether the model runs in this
process, in llama.cpp, or behind an upstream engine such as vLLM. An upstream engine's tokenizer
lives with the engine, so a `Relaying` backend hands over the engine's own rendering instead.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, NoReturn, Protocol, runtime_checkable

from gemeingut.i18n import Message, _

FinishReason = Literal["stop", "length"]
# The `Accept-Language` of the request being served (set per request by the server): a backend
# in front of an engine passes it on, so that the engine's own messages, which the server
# quotes, come in the language the client reads.
CLIENT_LANGUAGE: ContextVar[str | None] = ContextVar("client_language", default=None)


@dataclass(frozen=True)
class ChatPrompt:
    """A conversation that the engine itself templates (an upstream engine knows its model's
    chat template; we do not). In-process backends template locally and never make one."""

    messages: tuple[tuple[str, str], ...]  # (role, content)


Prompt = str | list[int] | ChatPrompt


@dataclass(frozen=True)
class SamplingParams:
    """How to continue a prompt (the names follow vLLM's `SamplingParams`).

    `max_tokens=None` means: as far as the context allows; 0 only scores the prompt.
    `logprobs=k` returns, for every generated token, its log-probability and the k likeliest
    alternatives; `prompt_logprobs=k` does the same for every prompt token after the first
    (what lm-evaluation-harness needs to score a continuation). `echo` asks for the prompt's
    text before the answer: a `Relaying` backend asks its engine; for the others the HTTP layer
    writes it from the prompt's tokens.
    """

    max_tokens: int | None = None
    temperature: float = 1.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    logprobs: int | None = None
    prompt_logprobs: int | None = None
    echo: bool = False


@dataclass(frozen=True)
class TokenLogprob:
    """One token's log-probability under the model (before temperature), with the `top`
    likeliest tokens at that position, likeliest first."""

    token_id: int
    logprob: float
    top: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True)
class GenerationResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: FinishReason
    prompt_ids: tuple[int, ...] = ()
    # The generated tokens whose text is in `text`, then the stop token that ended the answer
    # if one did (`stop_token`): scorers count on one entry per generated token, as vLLM gives.
    token_ids: tuple[int, ...] = ()
    stop_token: bool = False
    logprobs: tuple[TokenLogprob, ...] | None = None
    # One entry per prompt token; the first is None (nothing predicts it).
    prompt_logprobs: tuple[TokenLogprob | None, ...] | None = None
    # From a `Relaying` backend: the engine's log-probabilities as OpenAI's shape of the route
    # (`CompletionLogprobs` or `ChatLogprobs`: its tokenizer's texts and offsets), and with
    # `echo` the prompt's text as the engine echoed it; `text` is then the answer alone.
    relayed_logprobs: Any = None
    echoed: str = ""
    # False where an engine told no usage and its tokens could not be counted either: the
    # quota then keeps the whole reservation instead of settling to the zeros above.
    usage_known: bool = True
    # True where the counts are an estimate (an engine's `/tokenize` failed or was too slow):
    # the audit record says so (`tokens_estimated`).
    usage_estimated: bool = False


class EngineUnavailable(RuntimeError):
    """The engine behind the server failed or cannot be reached (an upstream's 5xx, a timeout,
    a refused connection): the client gets 502, and may retry."""


class RequestRejected(ValueError):
    """The request cannot be served as asked (prompt too long, no chat template ...).

    The server answers these with 400; `param` and `code` fill OpenAI's error fields (the server
    names the prompt's field when `param` is left empty).
    """

    def __init__(
        self, message: str | Message, param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code


def only_embeds(name: str) -> NoReturn:
    """Refuse a chat or completion of a model that only makes embeddings: an encoder in this
    process, or an engine's model whose engine says it only embeds."""
    raise RequestRejected(
        _(
            "the model {name!r} only makes embeddings (an encoder): use /v1/embeddings, or "
            "name a language model for chats and completions",
            name=name,
        ),
        param="model",
        code="model_only_embeds",
    )


# The prompt's tokens and the tokens generated up to a stream's last piece (also those whose
# text is still held back): what a cut after it used, which usage with every chunk (vLLM's
# `continuous_usage_stats`) says. None where the engine has not told them (yet).
SoFar = Callable[[], tuple[int, int] | None]


class TextStream:
    """Text pieces as they are generated; `result` holds usage and finish reason at the end.

    Wraps a generator that yields pieces and returns a `GenerationResult`. Always exhaust or
    `close()` it: closing tells the engine to stop generating (the client left).
    """

    def __init__(
        self,
        pieces: Generator[str, None, GenerationResult],
        stopped: Callable[[], GenerationResult | None] | None = None,
        so_far: SoFar | None = None,
    ) -> None:
        self._pieces = pieces
        self._stopped = stopped  # what the engine generated once it stopped early
        self.so_far = so_far  # None: the engine cannot tell (`SoFar`)
        self.result: GenerationResult | None = None

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            return next(self._pieces)
        except StopIteration as finished:
            self.result = finished.value
            raise

    def close(self) -> None:
        self._pieces.close()

    def cut_short(self) -> GenerationResult | None:
        """For a stream closed before it finished (the client left): the tokens the engine
        read and generated until it stopped, which the quota is settled to and the audit
        record says; None where the engine cannot tell. Blocks until the engine stopped."""
        return self._stopped() if self._stopped is not None else None


class AsyncTextStream:
    """Text pieces from an engine reached over the network, awaited in the event loop.

    A `TextStream` is iterated in a worker thread, a thread handoff per piece, and a thread held
    while the engine thinks: behind the gateway, 64 streams at once waited for the threads more
    than for their engine. The wrapped generator yields pieces, then the `GenerationResult`;
    `aclose()` closes the engine's answer, which tells the engine to stop (the client left)."""

    def __init__(
        self,
        events: AsyncGenerator[str | GenerationResult, None],
        close: Callable[[], Awaitable[None]],
        relayed: Callable[[], Awaitable[GenerationResult | None]] | None = None,
        so_far: SoFar | None = None,
    ) -> None:
        self._events = events
        self._close = close  # ends the engine's answer: also before the first piece was read
        self._relayed = relayed
        self.so_far = so_far  # None: the engine cannot tell (`SoFar`)
        self.result: GenerationResult | None = None

    async def next_piece(self) -> str | None:
        """The next piece, or None once the stream has ended (`result` is then set)."""
        try:
            item = await anext(self._events)
        except StopAsyncIteration:
            return None
        if isinstance(item, GenerationResult):
            self.result = item
            return None
        return item

    async def aclose(self) -> None:
        """A generator that never ran has nothing to clean up, so the answer is closed here."""
        await self._events.aclose()
        await self._close()

    async def cut_short(self) -> GenerationResult | None:
        """For a stream that ended before its engine finished (the client left, the engine
        broke off): what was relayed until then, which the quota is settled to; None where the
        stream cannot tell."""
        return await self._relayed() if self._relayed is not None else None


class _AnsweredByClass(type(Protocol)):  # typing's _ProtocolMeta
    """The metaclass of the runtime protocols below: `isinstance` is answered by the object's
    class, which abc's cache of `issubclass` then answers at once. Python 3.11 lists a
    protocol's members anew at every `isinstance` (~10 µs, ~30 µs where the answer is no), and
    a request through the gateway asks several (docs/benchmarks.md). The protocols here have
    methods only, which a backend's class defines (an instance's own attributes do not count)."""

    def __instancecheck__(cls, instance: object) -> bool:
        return issubclass(type(instance), cls)


@runtime_checkable
class StreamsAsync(Protocol, metaclass=_AnsweredByClass):
    """Backends whose streams are network reads (an upstream engine): the HTTP layer awaits
    them in the event loop instead of a worker thread."""

    async def astream(self, prompt: Prompt, params: SamplingParams) -> AsyncTextStream:
        """Send the request and check the engine's answer now (raising `RequestRejected` or
        `EngineUnavailable`); the pieces arrive while iterated."""
        ...


@runtime_checkable
class GeneratesAsync(Protocol, metaclass=_AnsweredByClass):
    """Backends whose answers are network calls (an upstream engine): the HTTP layer awaits them
    in the event loop, so that a client that hangs up cancels the call, and the closed
    connection tells the engine to stop."""

    async def agenerate_batch(
        self, prompts: list[Prompt], params: SamplingParams, n: int = 1
    ) -> list[GenerationResult]:
        """As `Backend.generate_batch`; cancelling the call ends the engine's work."""
        ...

    async def prompt_tokens(self, prompts: list[Prompt]) -> int | None:
        """The prompts' tokens, for a call cancelled before the engine said (None: unknown)."""
        ...


class Backend(Protocol):
    """What the server needs from a model engine."""

    model_name: str

    def generate(self, prompt: Prompt, params: SamplingParams) -> GenerationResult: ...

    def generate_batch(
        self,
        prompts: list[Prompt],
        params: SamplingParams,
        n: int = 1,
        cancel: threading.Event | None = None,
    ) -> list[GenerationResult]:
        """`n` results per prompt, prompt-major (OpenAI's choice order); seeded choices use
        seed, seed + 1, … so the first equals `generate` with that seed. Once `cancel` is set
        (the client left) generation stops early and returns what it has."""
        ...

    def stream(self, prompt: Prompt, params: SamplingParams) -> TextStream:
        """Check the request now (raising `RequestRejected`), generate lazily while iterated.
        A backend that is `StreamsAsync` (an upstream engine) streams with `astream` instead."""
        ...

    def max_tokens_needed(self, prompts: list[Prompt], params: SamplingParams, n: int = 1) -> int:
        """The most tokens the request can use as usage counts them (every prompt once, every
        choice's answer at its longest): what a quota reserves before generation. Raises
        `RequestRejected` for a request that `generate_batch` would refuse."""
        ...

    def apply_chat_template(
        self, messages: list[dict[str, str]], add_generation_prompt: bool = True
    ) -> str: ...


@runtime_checkable
class Embedding(Protocol, metaclass=_AnsweredByClass):
    """Backends that turn texts into vectors (`/v1/embeddings`)."""

    def embed(self, prompts: list[Prompt]) -> list[tuple[list[float], int]]:
        """One unit-length vector per prompt, with the prompt's token count. Raises
        `RequestRejected` for a prompt that does not fit the context."""
        ...


@runtime_checkable
class Tokenizing(Protocol, metaclass=_AnsweredByClass):
    """Backends that can also lend their tokenizer (the routes lm-evaluation-harness probes)."""

    def tokenize(self, text: str, add_special_tokens: bool = True) -> list[int]: ...

    def detokenize(self, ids: list[int], skip_special_tokens: bool = False) -> str: ...

    def token_strings(self, ids: list[int]) -> list[str]: ...

    def token_bytes(self, ids: list[int]) -> list[bytes]:
        """Each token's bytes, also where it holds part of a character."""
        ...

    def text_offsets(self, ids: list[int], skip_special_tokens: bool) -> list[int]:
        """Where each token starts in the text of all of them; a token that continues a
        character split over tokens gets that character's offset (lm-eval maps offsets back to
        its strings)."""
        ...

    def tokenizer_info(self) -> dict[str, Any]: ...


@runtime_checkable
class Relaying(Protocol, metaclass=_AnsweredByClass):
    """Backends in front of an engine that tokenizes itself (vLLM, another gemeingut serve):
    the tokenizer routes pass on to the engine, and log-probabilities come rendered by it."""

    def relay(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """The engine's answer on one of its tokenizer routes (`/tokenize`, `/detokenize`,
        `/tokenizer_info`; GET without a body). Raises `RequestRejected` (code `not_found`
        where the engine has no such route) or `EngineUnavailable`."""
        ...


def first_stop(text: str, stops: tuple[str, ...]) -> int | None:
    """Where the earliest stop string begins in `text`, if any does."""
    found = [i for i in (text.find(s) for s in stops) if i >= 0]
    return min(found) if found else None


def stable_length(text: str, stops: tuple[str, ...]) -> int:
    """How much of `text` can be sent without ever having to be taken back."""
    end = len(text.rstrip("\ufffd"))  # U+FFFD at the end: a character whose bytes are not all in
    held = 0
    for stop in stops:
        for k in range(min(len(stop) - 1, end), held, -1):
            if text[end - k : end] == stop[:k]:
                held = k
                break
    return end - held
