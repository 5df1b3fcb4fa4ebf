"""However an engine's stream goes wrong, the client gets a clear ending: an error event that
says the upstream engine failed and how, in German unless the client asks otherwise (a 502
where the engine failed before the stream began), and the request's audit record is complete
(502, the engine's failure); the server's log says why, without a traceback. Lines that are
no events (SSE comments, `event:` lines) and chunks without choices are no failure.

Before, an event that is not JSON, an event cut off by the engine's end, an event in another
shape (`"choices": null`, a number as text) were the server's own failure: a 500, "see the
server log", and a traceback there; an engine that ended its stream without saying it had
finished (neither a finish reason nor `[DONE]`) was taken as a whole answer; an engine's error
event was quoted as Python writes a dict (`{'message': ...}`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import openai
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from sqlalchemy import Engine

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store

Serve = Callable[[FastAPI], AbstractContextManager[str]]
BROKEN = {"error": {"message": "CUDA out of memory", "type": "InternalServerError", "code": 500}}


def chunk(content: str | None = None, finish: str | None = None) -> str:
    delta = {} if content is None else {"content": content}
    return json.dumps({"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


FIRST = f"data: {chunk('Hal')}\n\n"
END = f"data: {chunk(finish='stop')}\n\ndata: [DONE]\n\n"
FAILED = "der Stream der vorgelagerten Engine ist fehlgeschlagen: "
UNFINISHED = (
    FAILED + "er endete, ohne zu melden, dass er fertig war (weder finish_reason noch [DONE])"
)
# What the engine sends, per the question's text: a stream that fails, with what the client reads.
STREAMS = {
    "kein-json": (
        [FIRST, "data: {kaputt\n\n", END],
        FAILED + "ein Ereignis ist kein JSON",
    ),
    "abgeschnitten": (
        [FIRST, 'data: {"choices": [{"index": 0, "delta": {"cont'],
        FAILED + "ein Ereignis ist kein JSON",
    ),
    "ohne-ende": (
        [FIRST],
        UNFINISHED,
    ),
    "ohne-data": (
        [chunk("Hal") + "\n", chunk(finish="stop") + "\n"],  # JSON lines, no server-sent events
        FAILED + "er enthielt keine Ereignisse (keine Zeile begann mit 'data:')",
    ),
    "fehler": (
        [FIRST, f"data: {json.dumps(BROKEN)}\n\n"],
        FAILED + "CUDA out of memory",
    ),
    "choices-objekt": (
        [FIRST, 'data: {"choices": {"index": 0}}\n\n', END],
        FAILED + "ein Ereignis hat nicht die Form von OpenAI (choices)",
    ),
    "text-als-zahl": (
        [FIRST, 'data: {"choices": [{"index": 0, "delta": {"content": 7}}]}\n\n', END],
        FAILED + "ein Ereignis hat nicht die Form von OpenAI (choices)",
    ),
    "kein-objekt": (
        [FIRST, "data: [1, 2]\n\n", END],
        FAILED + "ein Ereignis ist kein JSON-Objekt",
    ),
}
# Streams that go well although not every line is an event with choices.
WELL = [
    ": keep-alive\n\n",
    "event: ping\ndata: {}\n\n",
    'data: {"id": "x", "object": "chat.completion.chunk", "choices": []}\n\n',
    'data: {"id": "x", "choices": null}\n\n',
    FIRST,
    f"data: {chunk('lo')}\n\n",
    END,
]
BEFORE = {  # the engine's answer before any stream, and what the client's 502 says
    "500": (JSONResponse(BROKEN, status_code=500), "die vorgelagerte Engine antwortete 500: "),
    "500-seite": (
        HTMLResponse("<h1>500</h1>", status_code=500),
        "die vorgelagerte Engine antwortete 500",
    ),
}


SHAPE = "die Antwort der vorgelagerten Engine hat nicht die Form von OpenAI "
ANSWERS = {  # answers not streamed, in another shape, and what the client's 502 says
    "ohne-choices": ({"id": "x", "object": "chat.completion"}, SHAPE + "(choices)"),
    "choices-null": ({"choices": None}, SHAPE + "(choices)"),
    "message-als-text": ({"choices": [{"index": 0, "message": "Hallo"}]}, SHAPE + "(choices)"),
    "inhalt-als-zahl": (
        {"choices": [{"index": 0, "message": {"content": 7}}]},
        SHAPE + "(choices)",
    ),
    "usage-als-text": (
        {"choices": [{"index": 0, "message": {"content": "Hallo"}}], "usage": "viele"},
        SHAPE + "(usage)",
    ),
}


def misbehaving_engine() -> FastAPI:
    """An OpenAI-like engine whose stream goes wrong as the question says (`STREAMS`, `BEFORE`),
    or well with stray lines (`WELL`); it counts a token a word."""
    engine = FastAPI()

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "wackelig", "max_model_len": 256}]}

    @engine.post("/tokenize")
    async def tokenize(request: Request) -> dict:
        body = await request.json()
        said = " ".join(m["content"] for m in body.get("messages", [])) or body["prompt"]
        return {"count": len(said.split())}

    @engine.post("/v1/chat/completions")
    async def chat(request: Request) -> object:
        asked = (await request.json())["messages"][-1]["content"]
        if asked in ANSWERS:
            return JSONResponse(ANSWERS[asked][0])
        if asked in BEFORE:
            return BEFORE[asked][0]
        events = STREAMS[asked][0] if asked in STREAMS else WELL
        return StreamingResponse(iter(events), media_type="text/event-stream")

    return engine


@dataclass
class Front:
    client: openai.OpenAI
    store: Engine

    def ask(self, question: str) -> str:
        """The text the client read of a stream."""
        stream = self.client.chat.completions.create(
            model="wackelig", messages=[{"role": "user", "content": question}], stream=True
        )
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    def last_record(self) -> dict:
        return [r for r in export(self.store) if r["duration_ms"] is not None][-1]


@pytest.fixture
def front(serve: Serve, tmp_path: Path) -> Iterator[Front]:
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    with serve(misbehaving_engine()) as engine_url:
        app = create_app(UpstreamBackend(engine_url), gateway=Gateway(store))
        with serve(app) as url:
            yield Front(openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0), store)


def a_clear_502(
    ask: Callable[[], object], front: Front, caplog: pytest.LogCaptureFixture
) -> tuple[str, dict[str, Any]]:
    """The 502 that `ask` ends with, its message and its request's record: no traceback
    logged."""
    caplog.set_level(logging.INFO)
    with pytest.raises(openai.APIStatusError) as failed:
        ask()
    assert failed.value.status_code == 502
    assert isinstance(failed.value.body, dict)
    record = front.last_record()
    assert record["status"] == 502, record
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    return failed.value.body["message"], record


@pytest.mark.parametrize("question", list(STREAMS))
def test_a_stream_that_goes_wrong_ends_clearly(
    front: Front, question: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with pytest.raises(openai.APIError) as failed:
        front.ask(question)
    assert failed.value.message == STREAMS[question][1]
    assert failed.value.code == "engine_unavailable"
    record = front.last_record()
    assert (record["status"], record["decision"]) == (502, "allowed"), record
    relayed = FIRST in STREAMS[question][0]
    assert (record["completion_tokens"] >= 1) == relayed, record  # "Hal", where it was sent
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


@pytest.mark.parametrize("question", list(BEFORE))
def test_an_engine_that_fails_before_the_stream_is_a_502(
    front: Front, question: str, caplog: pytest.LogCaptureFixture
) -> None:
    message, record = a_clear_502(partial(front.ask, question), front, caplog)
    assert message.startswith(BEFORE[question][1])
    assert record["completion_tokens"] == 0, record


@pytest.mark.parametrize("question", list(ANSWERS))
def test_an_answer_in_another_shape_is_a_502(
    front: Front, question: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Before, each was a 500 with a traceback in the log."""
    asked = [{"role": "user", "content": question}]
    create = partial(front.client.chat.completions.create, model="wackelig", messages=asked)
    message, _record = a_clear_502(create, front, caplog)
    assert message == ANSWERS[question][1]


def test_lines_that_are_no_events_and_chunks_without_choices_are_no_failure(
    front: Front,
) -> None:
    assert front.ask("gut") == "Hallo"
    assert front.last_record()["status"] == 200
