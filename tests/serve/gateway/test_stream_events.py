"""A stream's piece events are written from one dumped chunk per stream (`streaming.piece_events`)
and its ending events leave as one body message: the text a client reads must be the same as
when each chunk was made and dumped, whatever the piece or the model's name holds."""

from __future__ import annotations

import asyncio
import json
import typing

import pytest

from gemeingut.serve.backends import AsyncTextStream, GenerationResult
from gemeingut.serve.backends.protocol import Relaying, StreamsAsync
from gemeingut.serve.model_queue import ModelQueue
from gemeingut.serve.schemas import (
    ChatChunkChoice,
    ChatCompletionChunk,
    Completion,
    CompletionChoice,
    Delta,
    UsageChunks,
)
from gemeingut.serve.streaming import ResponseMeta, chat_events, event, piece_events

PIECES = [
    "",
    "Hallo",
    ' "zitiert" \\ / ',
    "Zeile\nZeile\r\t",
    "Grüße, 日本語, 🙂",
    "\x00piece\x00",  # the placeholder itself
    "\x00",
    "\ud800",  # a lone surrogate, as an engine's JSON may carry it
    "\u2028\u2029",
]


def chat_chunk(model: str):
    def chunk(text: str) -> ChatCompletionChunk:
        choice = ChatChunkChoice(delta=Delta(content=text))
        return ChatCompletionChunk(id="chatcmpl-1", created=7, model=model, choices=[choice])

    return chunk


def text_chunk(model: str):
    def chunk(text: str) -> Completion:
        choice = CompletionChoice(text=text, finish_reason=None)
        return Completion(id="cmpl-1", created=7, model=model, choices=[choice])

    return chunk


@pytest.mark.parametrize("make", [chat_chunk, text_chunk])
@pytest.mark.parametrize("model", ["tiny-llama", 'mo"del \u00e4', "a\x00piece\x00name"])
def test_piece_events_are_the_dumped_chunks(make, model: str) -> None:
    written = piece_events(make(model))
    for piece in PIECES:
        assert written(piece) == event(make(model)(piece)), (model, piece)


def streamed(pieces: list[str], usage: UsageChunks) -> list[str]:
    """The body messages of a chat stream whose engine gave `pieces`."""

    async def engine():
        for piece in pieces:
            yield piece
        text = "".join(pieces)
        yield GenerationResult(text, prompt_tokens=3, completion_tokens=2, finish_reason="stop")

    async def closed() -> None:
        return None

    async def messages() -> list[str]:
        stream = AsyncTextStream(engine(), close=closed)
        meta = ResponseMeta(id="chatcmpl-1", created=7, model="m")
        ticket = ModelQueue(max_waiting=1).admit()
        return [m async for m in chat_events(stream, meta, usage, ticket)]

    return asyncio.run(messages())


def parsed(sent: list[str]) -> list[dict]:
    events = "".join(sent).split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    return [json.loads(e.removeprefix("data: ")) for e in events[:-2]]


def test_stream_ends_with_one_message_of_the_same_events() -> None:
    """The finish, usage and [DONE] events come in one body message, in that order, and the
    whole stream reads as before: the role chunk, one event per piece, the ending events."""
    sent = streamed(["Hallo", " Welt"], UsageChunks.LAST)
    assert len(sent) == 4  # the role, two pieces, the end
    data = parsed(sent)
    assert [d["choices"][0]["delta"] if d["choices"] else None for d in data] == [
        {"role": "assistant", "content": ""},
        {"content": "Hallo"},
        {"content": " Welt"},
        {},
        None,
    ]
    assert data[3]["choices"][0]["finish_reason"] == "stop"
    assert data[4]["usage"] == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    assert sent[-1] == "".join(e + "\n\n" for e in "".join(sent).split("\n\n")[3:-1])


def test_backend_protocols_answered_by_class(monkeypatch: pytest.MonkeyPatch) -> None:
    """`isinstance` with a backend protocol is answered by the object's class, once per class,
    not by listing the protocol's members at every check."""

    class Engine:
        async def astream(self, prompt, params): ...

        def relay(self, path, body=None): ...

    class Model:
        def generate(self, prompt, params): ...

    answers = [(isinstance(o, p), p) for o in (Engine(), Model()) for p in (StreamsAsync, Relaying)]
    assert [a for a, _ in answers] == [True, True, False, False]

    def listed(*_: object) -> set[str]:
        raise AssertionError("the protocol's members were listed again")

    monkeypatch.setattr(typing, "_get_protocol_attrs", listed)
    assert isinstance(Engine(), StreamsAsync) and isinstance(Engine(), Relaying)
    assert not isinstance(Model(), StreamsAsync) and not isinstance(Model(), Relaying)
