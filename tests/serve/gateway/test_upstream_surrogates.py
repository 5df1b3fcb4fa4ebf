"""An engine's JSON may hold halves of UTF-16 surrogate pairs (`"\\ud83d"`): JSON allows any
`\\uXXXX` escape, and an engine that splits its text by UTF-16 code units (one written in
JavaScript, Java or C#) sends an emoji's halves in two events. Python reads such a half as a
lone surrogate, which no UTF-8 writer takes: the gateway's stream broke off mid-way, an answer
that was not streamed was a 500, and neither its tokens nor its content could be counted or
kept. Now the halves of a pair are joined, also across two pieces of a stream, and a half
without its other half is U+FFFD, as a UTF-16 decoder reads it: the client, the engine's
count of what was relayed and the content log all get the same valid text.

The engine is a small OpenAI-like app on its own loopback port that sends such halves; the
gateway is `gemeingut serve --upstream` in its own process with a database that keeps content;
the client is the official `openai` one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from gemeingut.cli import app as cli_app
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import content_log
from tests.http_server import running_server
from tests.serve.gateway.test_engine_credentials import gateway_process

MODEL = "amt-modell"  # as `gateway_process` names it
HELLO = [{"role": "user", "content": "Hallo"}]
# A stream's pieces as the engine sends them, and the text the client must read of them.
CHAT_PIECES = [
    "Herz ",
    "\ud83d",  # an emoji's first half alone in its event…
    "\ude00 und",  # …and its second half starting the next
    " halb\ud83d",
    "\ude00",
    " allein \ud800 da",  # half of no pair
    " \udc00",  # a second half after no first half
    " Ende\ud83d",  # a first half that the stream's end leaves alone
]
CHAT_TEXT = "Herz \U0001f600 und halb\U0001f600 allein \ufffd da \ufffd Ende\ufffd"
TEXT_PIECES = ["eins \ud800", " zwei \ud83d", "\ude00"]
TEXT_TEXT = "eins \ufffd zwei \U0001f600"
# An answer not streamed, and its tokens' names (the engine's tokenizer split the emoji).
ANSWER, ANSWER_TEXT = "a\ud800b\ud83d\ude00", "a\ufffdb\U0001f600"
TOKENS, TOKEN_NAMES = (
    ["a", "\ud800", "b", "\ud83d", "\ude00"],
    ["a", "\ufffd", "b", "\ufffd", "\ufffd"],
)


def engine_json(data: object) -> str:
    """JSON as an engine writes it: every character outside ASCII escaped (vLLM's way), so
    that a lone surrogate goes as its escape `\\ud800`."""
    return json.dumps(data, ensure_ascii=True)


def surrogate_engine() -> FastAPI:
    """An OpenAI-like engine whose text holds halves of surrogate pairs. It sends no usage,
    so that the gateway counts what it relayed with the engine's `/tokenize` (a token a word)."""
    engine = FastAPI()

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "fremd", "max_model_len": 300}]}

    @engine.post("/tokenize")
    async def tokenize(request: Request) -> dict:
        body = await request.json()
        said = " ".join(m["content"] for m in body.get("messages", [])) or body["prompt"]
        return {"count": len(said.split())}

    def streamed(pieces: list[str], chat: bool) -> StreamingResponse:
        def chunk(piece: str | None) -> str:
            if chat:
                choice = {"index": 0, "delta": {} if piece is None else {"content": piece}}
            else:
                choice = {"index": 0, "text": piece or ""}
            choice["finish_reason"] = "stop" if piece is None else None
            return f"data: {engine_json({'choices': [choice]})}\n\n"

        events = [chunk(p) for p in [*pieces, None]] + ["data: [DONE]\n\n"]
        return StreamingResponse(iter(events), media_type="text/event-stream")

    def answered(data: dict) -> Response:
        return Response(engine_json(data), media_type="application/json")

    @engine.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        body = await request.json()
        if body.get("stream"):
            return streamed(CHAT_PIECES, chat=True)
        entries = [{"token": t, "logprob": -0.5, "bytes": None, "top_logprobs": []} for t in TOKENS]
        message = {"role": "assistant", "content": ANSWER}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        if body.get("logprobs"):
            choice["logprobs"] = {"content": entries}
        return answered({"choices": [choice]})

    @engine.post("/v1/completions")
    async def completions(request: Request) -> Response:
        body = await request.json()
        if body.get("stream"):
            return streamed(TEXT_PIECES, chat=False)
        choice = {"index": 0, "text": ANSWER, "finish_reason": "stop"}
        if body.get("logprobs") is not None:
            choice["logprobs"] = {
                "tokens": TOKENS,
                "token_logprobs": [-0.5] * len(TOKENS),
                "top_logprobs": [{t: -0.5} for t in TOKENS],
                "text_offset": [0, 1, 2, 3, 4],
            }
        return answered({"choices": [choice]})

    return engine


@dataclass
class Gateway:
    client: openai.OpenAI
    store: Engine
    log: Path

    def kept(self) -> list[str]:
        """The answers the content log kept, in order."""
        with self.store.connect() as conn:
            return list(
                conn.execute(select(content_log.c.answer).order_by(content_log.c.id)).scalars()
            )

    def said_no_traceback(self) -> bool:
        """Whether the server's log holds no traceback (a half that reached a UTF-8 writer
        left one there)."""
        return "Traceback" not in self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    folder = tmp_path_factory.mktemp("surrogates")
    db, log = folder / "gateway.db", folder / "stderr.log"
    store = open_store(str(db))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    kept = CliRunner().invoke(
        cli_app, ["admin", "content", "retention", "--db", str(db), "--days", "1"]
    )
    assert kept.exit_code == 0, kept.output
    with running_server(surrogate_engine()) as engine, gateway_process(engine, db, log) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
        yield Gateway(client, store, log)
    store.dispose()


def test_a_streamed_chat_joins_the_halves_and_replaces_lone_ones(gateway: Gateway) -> None:
    """Before, the stream broke off at the first half: the client read an incomplete chunked
    body (`httpx.RemoteProtocolError`), and the gateway's log held a traceback."""
    stream = gateway.client.chat.completions.create(
        model=MODEL, messages=HELLO, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == CHAT_TEXT
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert gateway.kept()[-1] == CHAT_TEXT
    [record] = [r for r in export(gateway.store) if r["request_id"] == chunks[0].id]
    assert record["status"] == 200, record
    assert gateway.said_no_traceback()


def test_a_streamed_completion_joins_the_halves_and_replaces_lone_ones(gateway: Gateway) -> None:
    stream = gateway.client.completions.create(model=MODEL, prompt="Hallo", stream=True)
    assert "".join(c.choices[0].text for c in stream if c.choices) == TEXT_TEXT
    assert gateway.kept()[-1] == TEXT_TEXT
    assert gateway.said_no_traceback()


def test_an_answer_and_its_token_names_are_valid_text(gateway: Gateway) -> None:
    """Before, each was a 500."""
    chat = gateway.client.chat.completions.create(model=MODEL, messages=HELLO, logprobs=True)
    assert chat.choices[0].message.content == ANSWER_TEXT
    assert [t.token for t in chat.choices[0].logprobs.content] == TOKEN_NAMES
    assert gateway.kept()[-1] == ANSWER_TEXT
    text = gateway.client.completions.create(model=MODEL, prompt="Hallo", logprobs=1)
    assert text.choices[0].text == ANSWER_TEXT
    assert text.choices[0].logprobs.tokens == TOKEN_NAMES
    assert gateway.kept()[-1] == ANSWER_TEXT
    assert gateway.said_no_traceback()
