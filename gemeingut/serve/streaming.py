"""Server-sent events in OpenAI's streaming format.

Each piece of text becomes one `data: {json}` event as soon as the backend yields it; the last
chunk carries the finish reason, an optional extra chunk carries usage, and `data: [DONE]` ends
the stream. Where a client asks for usage with every chunk as well (vLLM's
`continuous_usage_stats`: a gateway in front of this server, which then charges a stream cut
short exactly what it used without counting its text again), every chunk carries the tokens
generated until it, as vLLM sends them: the model's own count here, an engine's as it sent
them with the chunk relayed (vLLM, another gemeingut); a chunk of an engine that sent none
(it ignores the option) carries none, its finish chunk the count of the whole. Whether a
stream counts is decided once, at its start: a stream that did not ask pays nothing per chunk.

Generation is blocking torch code, so each step runs in a worker thread and the event loop
stays free for other requests; if the client goes away, the stream is closed, which stops
generation and frees the model for the next request. The stream waits for its turn at the model
(`model_queue.py`) in the event loop, before it asks for any worker thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import get_args

import anyio
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from gemeingut.i18n import _, text
from gemeingut.serve.backends import (
    AsyncTextStream,
    EngineUnavailable,
    GenerationResult,
    TextStream,
)
from gemeingut.serve.backends.protocol import SoFar
from gemeingut.serve.http_errors import error_body
from gemeingut.serve.metrics import first_token
from gemeingut.serve.model_queue import Ticket
from gemeingut.serve.schemas import (
    ChatChunkChoice,
    ChatCompletionChunk,
    Completion,
    CompletionChoice,
    Delta,
    ErrorDetail,
    FinishReason,
    Usage,
    UsageChunks,
)

# A stream's end: its result (None where it did not finish) and the status its record gets:
# 200, 499 where the client left first (as nginx records it), 502 where its engine failed (as
# the same failure without a stream is answered), 500 where generation here failed.
OnEnd = Callable[[GenerationResult | None, int], Awaitable[None]]
AnyTextStream = TextStream | AsyncTextStream
Chunk = ChatCompletionChunk | Completion
log = logging.getLogger("gemeingut.serve")

DONE = "data: [DONE]\n\n"
# What a stream that failed before sending any text is charged: nothing.
NOTHING = GenerationResult(text="", prompt_tokens=0, completion_tokens=0, finish_reason="length")
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@dataclass(frozen=True)
class ResponseMeta:
    """What every chunk of one response repeats."""

    id: str
    created: int
    model: str
    language: str = "de"  # of the client: for the one message a stream may carry


def usage_of(results: list[GenerationResult], per_prompt: int = 1) -> Usage:
    """Usage of `results` that hold `per_prompt` choices of each prompt: every prompt counts
    once, every choice's completion counts."""
    prompt = sum(r.prompt_tokens for r in results[::per_prompt])
    completion = sum(r.completion_tokens for r in results)
    return counted(prompt, completion)


def counted(prompt: int, completion: int) -> Usage:
    return Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


def event(chunk: BaseModel) -> str:
    data = chunk.model_dump()
    if data.get("usage", "absent") is None:
        del data["usage"]  # OpenAI leaves usage out of chunks unless it was asked for
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


# Stands for a piece of text in the one chunk of a stream that `piece_events` writes in full.
_PLACEHOLDER = "\x00piece\x00"


def piece_events(piece_chunk: Callable[[str], Chunk]) -> Callable[[str], str]:
    """What writes the event of each piece of one stream, the same text as `event(piece_chunk(
    piece))`: a stream's chunks differ only in their piece, so one chunk is made and dumped
    (with a placeholder for the piece) and each piece's JSON string is put in its place, not a
    chunk made, dumped to a dict and encoded per piece (docs/benchmarks.md)."""
    written = event(piece_chunk(_PLACEHOLDER))
    placeholder = json.dumps(_PLACEHOLDER, ensure_ascii=False)
    if written.count(placeholder) != 1:  # the model's name holds it: made for each piece
        return lambda piece: event(piece_chunk(piece))
    before, _, after = written.partition(placeholder)
    return lambda piece: before + json.dumps(piece, ensure_ascii=False) + after


@dataclass(frozen=True)
class _Chunks:
    """A response's chunks, which repeat its `ResponseMeta`: a piece's, the finish's, the
    usage's, and the first (a chat's role) where the kind of response has one."""

    piece: Callable[[str], Chunk]
    final: Callable[[str], Chunk]
    usage: Callable[[Usage], Chunk]
    first: Callable[[], Chunk] | None = None


def _chat_chunks(meta: ResponseMeta) -> _Chunks:
    def chunk(delta: Delta, finish: str | None = None) -> ChatCompletionChunk:
        choice = ChatChunkChoice(delta=delta, finish_reason=finish)
        return ChatCompletionChunk(
            id=meta.id, created=meta.created, model=meta.model, choices=[choice]
        )

    return _Chunks(
        piece=lambda text: chunk(Delta(content=text)),
        final=lambda finish: chunk(Delta(), finish),
        usage=lambda used: ChatCompletionChunk(
            id=meta.id, created=meta.created, model=meta.model, choices=[], usage=used
        ),
        first=lambda: chunk(Delta(role="assistant", content="")),
    )


def _completion_chunks(meta: ResponseMeta) -> _Chunks:
    def chunk(text: str, finish: str | None = None) -> Completion:
        choice = CompletionChoice(text=text, finish_reason=finish)
        return Completion(id=meta.id, created=meta.created, model=meta.model, choices=[choice])

    return _Chunks(
        piece=chunk,
        final=lambda finish: chunk("", finish),
        usage=lambda used: Completion(
            id=meta.id, created=meta.created, model=meta.model, choices=[], usage=used
        ),
    )


def chat_events(
    stream: AnyTextStream,
    meta: ResponseMeta,
    usage: UsageChunks,
    turn: Ticket,
    on_end: OnEnd | None = None,
) -> AsyncIterator[str]:
    return _body_events(stream, turn, _chat_chunks, usage, on_end, meta)


def completion_events(
    stream: AnyTextStream,
    meta: ResponseMeta,
    usage: UsageChunks,
    turn: Ticket,
    on_end: OnEnd | None = None,
) -> AsyncIterator[str]:
    return _body_events(stream, turn, _completion_chunks, usage, on_end, meta)


# Stand for what differs between two streams of one kind and model in the events that
# `_formats` writes once: the response's id and time, a piece, the counts of usage. (Whole
# numbers where the chunk holds one; a hole's text that the model's name holds as well is
# found twice, and then each stream's chunks are made and dumped.)
_ID = "\x00id\x00"
_HOLES = {
    "id": json.dumps(_ID),
    "created": "-900000000000000001",
    "piece": json.dumps(_PLACEHOLDER),
    "prompt": "-900000000000000002",
    "completion": "-900000000000000003",
    "total": "-900000000000000004",
}


@dataclass(frozen=True)
class _Formats:
    """A stream's events as format strings with `_HOLES`' names: the text that `event` writes
    of each chunk, without a chunk made, dumped and encoded per stream (docs/benchmarks.md)."""

    piece: tuple[str, str]  # before the piece's JSON string, after it
    finals: dict[str, str]  # by finish reason
    usage: str
    first: str | None


@lru_cache(maxsize=256)
def _formats(chunks: Callable[[ResponseMeta], _Chunks], model: str) -> _Formats | None:
    """The format strings of `chunks`' events for `model`, made once; None where a hole's text
    is not found exactly once where it stands, or found where it does not (the model's name
    holds it)."""
    sample = chunks(ResponseMeta(id=_ID, created=int(_HOLES["created"]), model=model))
    counts = ("prompt", "completion", "total")
    used = Usage(**{f"{name}_tokens": int(_HOLES[name]) for name in counts})
    piece, usage = event(sample.piece(_PLACEHOLDER)), event(sample.usage(used))
    finals = {r: event(sample.final(r)) for r in get_args(FinishReason)}
    first = [] if sample.first is None else [event(sample.first())]
    checked = [(piece, ("piece",)), (usage, counts), *((t, ()) for t in [*finals.values(), *first])]
    if not all(_holes_found(text, holes) for text, holes in checked):
        return None
    before, _, after = piece.partition(_HOLES["piece"])
    return _Formats(
        piece=(_fields(before), _fields(after)),
        finals={r: _fields(text) for r, text in finals.items()},
        usage=_fields(usage, counts),
        first=_fields(first[0]) if first else None,
    )


def _holes_found(written: str, holes: tuple[str, ...]) -> bool:
    """Whether `written` holds the response's id and time and `holes` once each, and no other
    of `_HOLES`."""
    fields = ("id", "created", *holes)
    return all(written.count(said) == (name in fields) for name, said in _HOLES.items())


def _fields(written: str, holes: tuple[str, ...] = ()) -> str:
    """`written` as a format string whose fields are the response's id and time and `holes`."""
    written = written.replace("{", "{{").replace("}", "}}")
    for name in ("id", "created", *holes):
        written = written.replace(_HOLES[name], "{" + name + "}")
    return written


class _Formatted:
    """One stream's events written from its kind's and model's `_Formats`."""

    def __init__(self, formats: _Formats, meta: ResponseMeta, usage: UsageChunks) -> None:
        self.formats, self.usage = formats, usage
        self.said = {"id": json.dumps(meta.id, ensure_ascii=False), "created": meta.created}
        self.before, self.after = (part.format(**self.said) for part in formats.piece)

    def first(self) -> str | None:
        return None if self.formats.first is None else self.formats.first.format(**self.said)

    def piece(self, piece: str) -> str:
        return self.before + json.dumps(piece, ensure_ascii=False) + self.after

    def end(self, result: GenerationResult) -> str:
        tail = self.formats.finals[result.finish_reason].format(**self.said)
        if self.usage is not UsageChunks.NONE:
            prompt, completion = result.prompt_tokens, result.completion_tokens
            tail += self.formats.usage.format(
                **self.said, prompt=prompt, completion=completion, total=prompt + completion
            )
        return tail


class _Dumped:
    """One stream's events, each chunk made and dumped: with usage in every chunk, each
    differs from the others in more than its piece."""

    def __init__(self, chunks: _Chunks, counter: SoFar | None, usage: UsageChunks) -> None:
        self.chunks, self.counter, self.usage = chunks, counter, usage
        self.written = piece_events(chunks.piece) if counter is None else None

    def first(self) -> str | None:
        made = self.chunks.first
        return None if made is None else event(_counted(made(), self.counter))

    def piece(self, piece: str) -> str:
        if self.written is not None:
            return self.written(piece)
        return event(_counted(self.chunks.piece(piece), self.counter))

    def end(self, result: GenerationResult) -> str:
        used = usage_of([result])
        final = self.chunks.final(result.finish_reason)
        if self.usage is UsageChunks.EVERY:
            final.usage = used
        tail = event(final)
        if self.usage is not UsageChunks.NONE:
            tail += event(self.chunks.usage(used))
        return tail


def _body_events(
    stream: AnyTextStream,
    turn: Ticket,
    chunks_of: Callable[[ResponseMeta], _Chunks],
    usage: UsageChunks,
    on_end: OnEnd | None,
    meta: ResponseMeta,
) -> AsyncIterator[str]:
    """What chat and text completions stream alike, written from the formats made once per
    kind and model (`_formats`), or where usage comes with every chunk (or no formats could be
    made), from each chunk made and dumped."""
    formats = _formats(chunks_of, meta.model) if usage is not UsageChunks.EVERY else None
    if formats is None:
        return _events(
            stream, turn, _Dumped(chunks_of(meta), _counter(stream, usage), usage), on_end, meta
        )
    return _events(stream, turn, _Formatted(formats, meta, usage), on_end, meta)


async def _events(
    stream: AnyTextStream,
    turn: Ticket,
    written: _Formatted | _Dumped,
    on_end: OnEnd | None,
    meta: ResponseMeta,
) -> AsyncIterator[str]:
    """The `first` event (a chat's role), the pieces, the finish, usage, [DONE]; the pieces
    each produced in a worker thread once it is this stream's `turn` (or awaited, an engine's),
    the first piece of text, once sent, timed (`metrics.first_token`). (One generator for all:
    each layer more was resumed per piece.) Where generation fails, an error event ends the
    stream (an engine's `EngineUnavailable`: 502, as without a stream; anything else: 500).
    `on_end` gets the result and the status however the stream ends, also when the client
    leaves; the result of a stream that did not finish is what was generated until it stopped
    (the model in this process: the tokens its row read and generated; an engine's: what was
    relayed), None where the stream cannot tell. A stream that failed before any text was sent
    got no answer: its result is nothing (0 tokens, so that a client that asks again is not
    charged twice), as an engine's 502 before the stream is (`work.failed`). A failure is
    settled before its error event is sent, so the client that reads the event finds the
    request's record complete.

    Headers are already sent when generation fails midway, so the failure can only be told in
    the stream itself (an `error` event, which OpenAI's clients raise as an exception).
    """
    first = written.first()
    if first is not None:
        yield first
    status = 499  # unless the stream finishes or fails, its client left
    relayed = timed = False  # whether any text was sent; whether its first piece was timed
    failure: Exception | None = None
    try:
        async with turn:
            while True:
                try:
                    if isinstance(stream, AsyncTextStream):
                        piece = await stream.next_piece()
                    else:
                        piece = await _next_piece(stream)
                except EngineUnavailable as failed:  # its engine's log has said it
                    status, failure = 502, failed
                    break
                except Exception as failed:
                    log.exception("%s", text(_("generation failed while streaming")))
                    status, failure = 500, failed
                    break
                if piece is None:
                    status = 200
                    break
                relayed = relayed or bool(piece)
                yield written.piece(piece)
                if piece and not timed:  # resumed: the server has sent it
                    first_token(meta.model)
                    timed = True
    finally:
        with anyio.CancelScope(shield=True):  # a client that left cancels us; not this
            await _close(stream)
            turn.release()  # also when the response ended before its turn came
            if on_end is not None:
                unanswered = failure is not None and not relayed
                await _end(stream, status, NOTHING if unanswered else None, on_end)
    if failure is not None:
        yield _error_event(failure, meta.language)
        return
    # The events that end the stream are ready together: sent as one body message (each
    # message costs its way through the middlewares and a write to the socket).
    yield written.end(_result(stream)) + DONE


def _counter(stream: AnyTextStream, usage: UsageChunks) -> SoFar | None:
    """What counts the stream's tokens with every chunk: None where usage with every chunk was
    not asked for or the stream's engine cannot tell it."""
    return stream.so_far if usage is UsageChunks.EVERY else None


def _counted(chunk: Chunk, counter: SoFar | None) -> Chunk:
    """`chunk` with the tokens its stream has read and generated until it, where `counter`
    tells them (an engine may not have yet)."""
    so_far = counter() if counter is not None else None
    if so_far is not None:
        chunk.usage = counted(*so_far)
    return chunk


async def _end(
    stream: AnyTextStream, status: int, result: GenerationResult | None, on_end: OnEnd
) -> None:
    """Call `on_end` with `result`, or where none is given, what the stream generated."""
    if result is None:
        result = stream.result
    if result is None and isinstance(stream, AsyncTextStream):
        result = await stream.cut_short()
    elif result is None:  # the model's row stops at its next step and says so
        result = await run_in_threadpool(stream.cut_short)
    await on_end(result, status)


async def _next_piece(stream: TextStream) -> str | None:
    """The stream's next piece, which a worker thread waits for. A client that leaves meanwhile
    does not wait for that piece (a row still waiting for room in a batch would get it only
    when a long answer ended): the engine is told to stop (`cut_short`: a waiting row ends at
    once, a generating one at its next step), which ends the thread's wait; then the thread,
    the stream's place in the queue and its audit record are free at once."""
    pending = asyncio.ensure_future(run_in_threadpool(next, stream, None))
    try:
        return await asyncio.shield(pending)
    except anyio.get_cancelled_exc_class():
        with anyio.CancelScope(shield=True):  # the stream may be closed only once it is idle
            await run_in_threadpool(stream.cut_short)
            await asyncio.wait({pending})
        if not pending.cancelled() and pending.exception() is not None:
            said = text(_("generation failed after the client left"))
            log.error("%s", said, exc_info=pending.exception())
        raise


async def _close(stream: AnyTextStream) -> None:
    """Stop the stream's generation (in a shielded scope where the request is being
    cancelled: awaiting in a cancelled scope would raise)."""
    if isinstance(stream, AsyncTextStream):
        await stream.aclose()
    else:
        stream.close()


def _result(stream: AnyTextStream) -> GenerationResult:
    assert stream.result is not None, "the stream ended without a result"
    return stream.result


def _error_event(failure: Exception, language: str) -> str:
    """The stream's last event: an engine's failure with its reason, as its 502 says it
    without a stream; any other without its internals."""
    if isinstance(failure, EngineUnavailable):
        reason = failure.args[0] if failure.args else str(failure)
        message, code = text(reason, language), "engine_unavailable"
    else:
        message, code = text(_("generation failed; see the server log"), language), "server_error"
    detail = ErrorDetail(message=message, type="server_error", code=code)
    body = json.dumps(error_body(detail), ensure_ascii=False, separators=(",", ":"))
    return f"data: {body}\n\n"
