"""Without usage in every chunk, a stream's events are written from format strings made once per
kind of response and model (`streaming._formats`), not from chunks made and dumped per stream:
the text a client reads must be the same as the dumped chunks', whatever the id, the model's
name, the pieces, the finish reason and the counts hold."""

from __future__ import annotations

import asyncio

import pytest

from gemeingut.serve import streaming
from gemeingut.serve.backends import AsyncTextStream, GenerationResult
from gemeingut.serve.model_queue import ModelQueue
from gemeingut.serve.schemas import UsageChunks
from gemeingut.serve.streaming import DONE, ResponseMeta, chat_events, completion_events, event
from tests.serve.gateway.test_stream_events import PIECES

KINDS = {
    "chat": (chat_events, streaming._chat_chunks),
    "text": (completion_events, streaming._completion_chunks),
}
MODELS = [
    "tiny-llama",
    'mo"del {piece} {{id}} \u00e4',
    "a\x00piece\x00name",  # the piece's hole
    "\x00id\x00",  # the id's
    "-900000000000000001",  # the time's
    "n -900000000000000003",  # a count's
]


def sent(kind: str, meta: ResponseMeta, usage: UsageChunks, finish: str) -> list[str]:
    """The body messages of a stream of `kind` whose engine gave `PIECES`."""

    async def engine():
        for piece in PIECES:
            yield piece
        yield GenerationResult("".join(PIECES), 11, 1234, finish_reason=finish)  # type: ignore[arg-type]

    async def closed() -> None:
        return None

    async def messages() -> list[str]:
        stream = AsyncTextStream(engine(), close=closed)
        ticket = ModelQueue(max_waiting=1).admit()
        return [m async for m in KINDS[kind][0](stream, meta, usage, ticket)]

    return asyncio.run(messages())


def dumped(kind: str, meta: ResponseMeta, usage: UsageChunks, finish: str) -> list[str]:
    """The same stream's messages, each chunk made and dumped."""
    chunks = KINDS[kind][1](meta)
    first = [event(chunks.first())] if chunks.first is not None else []
    used = streaming.counted(11, 1234)
    tail = event(chunks.final(finish))
    if usage is not UsageChunks.NONE:
        tail += event(chunks.usage(used))
    return [*first, *(event(chunks.piece(p)) for p in PIECES), tail + DONE]


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("model", MODELS)
def test_formatted_events_are_the_dumped_chunks(kind: str, model: str) -> None:
    for usage in (UsageChunks.NONE, UsageChunks.LAST):
        for finish in ("stop", "length"):
            for id_ in ("chatcmpl-1", 'cmpl-"{0}"\u00e4'):
                meta = ResponseMeta(id=id_, created=1733500000, model=model)
                assert sent(kind, meta, usage, finish) == dumped(kind, meta, usage, finish)


def test_a_streams_events_are_not_dumped_once_its_formats_are_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first stream of a model makes its formats; the next dumps no chunk."""
    meta = ResponseMeta(id="chatcmpl-2", created=7, model="formats-once")
    sent("chat", meta, UsageChunks.LAST, "stop")
    calls: list[object] = []

    def counted_event(chunk):
        calls.append(chunk)
        return event(chunk)

    monkeypatch.setattr(streaming, "event", counted_event)
    assert sent("chat", meta, UsageChunks.LAST, "length") == dumped(
        "chat", meta, UsageChunks.LAST, "length"
    )
    assert calls == []
