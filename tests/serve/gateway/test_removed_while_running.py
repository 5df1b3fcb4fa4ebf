"""A request that passed the key check before `admin users remove` took its person away: its
audit record is completed (a stream's) or written (a request without stream) when it ends,
and then no longer under the removed person's pseudonym but under the mark the removal leaves
for erased people (`anonymous`); what it asked and answered is not kept either, though the
deployment logs content (the removal erased that, and nothing may come after it). Before,
both landed under the pseudonym after the person was gone. Real HTTP with the `openai`
client, a gateway in front of an engine that waits mid-answer until the person is removed
by the real CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager

import anyio.to_thread
import openai
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.cli.admin.safeguards import person_pseudonym
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from gemeingut.serve.gateway.audit_log import ERASED, export
from gemeingut.serve.gateway.content_log import stored_requests
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store

Serve = Callable[[FastAPI], AbstractContextManager[str]]
HELLO = [{"role": "user", "content": "Hallo"}]
USAGE = {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}
runner = CliRunner()


class Engine:
    """An OpenAI-like engine that, once a request has come (`arrived`), waits until it is
    `released` before it answers (a stream: after its first event)."""

    def __init__(self) -> None:
        self.arrived, self.released = threading.Event(), threading.Event()

    def app(self) -> FastAPI:
        engine = FastAPI()

        @engine.get("/v1/models")
        def models() -> dict:
            return {"data": [{"id": "fremd", "max_model_len": 512}]}

        @engine.post("/v1/chat/completions")
        async def chat(body: dict) -> object:
            self.arrived.set()
            if not body.get("stream"):
                await anyio.to_thread.run_sync(self.released.wait)
                message = {"role": "assistant", "content": "Guten Tag"}
                choice = {"index": 0, "message": message, "finish_reason": "stop"}
                return {"id": "x", "object": "chat.completion", "created": 0, "model": "fremd",
                        "choices": [choice], "usage": USAGE}  # fmt: skip

            async def events() -> AsyncIterator[bytes]:
                yield _event({"choices": [_delta({"role": "assistant", "content": ""})]})
                await anyio.to_thread.run_sync(self.released.wait)
                yield _event({"choices": [_delta({"content": "Guten Tag"}, "stop")]})
                yield _event({"choices": [], "usage": USAGE})
                yield b"data: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")

        return engine


def _delta(delta: dict, finish: str | None = None) -> dict:
    return {"index": 0, "delta": delta, "finish_reason": finish}


def _event(data: dict) -> bytes:
    return f"data: {json.dumps(data)}\n\n".encode()


@contextmanager
def anna_asking(store_url: str, serve: Serve) -> Iterator[tuple[Engine, openai.OpenAI, str]]:
    """anna's client of a gateway that logs content, in front of a waiting engine; her
    pseudonym."""
    store = open_store(store_url)
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    engine = Engine()
    with serve(engine.app()) as engine_url:
        backend = UpstreamBackend(engine_url, model_name="amt-modell")
        gateway = Gateway(store, content_days=30)
        with serve(create_app(backend, gateway=gateway)) as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
            yield engine, client, person_pseudonym(store, "anna")


def remove_anna(store_url: str) -> None:
    removed = runner.invoke(app, ["admin", "users", "remove", "anna", "--yes", "--db", store_url])
    assert removed.exit_code == 0, removed.output


def records_of_requests(store_url: str) -> list[dict]:
    return [r for r in export(open_store(store_url)) if not str(r["route"]).startswith("admin:")]


def test_a_stream_whose_person_is_removed_while_it_runs_ends_erased(
    store_url: str, serve: Serve
) -> None:
    with anna_asking(store_url, serve) as (engine, client, pseudonym):
        stream = client.chat.completions.create(model="amt-modell", messages=HELLO, stream=True)
        chunks = iter(stream)
        next(chunks)  # the stream runs: its record is open under her pseudonym
        [opened] = records_of_requests(store_url)
        assert (opened["user_pseudonym"], opened["decision"]) == (pseudonym, "unfinished")
        remove_anna(store_url)
        engine.released.set()
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Guten Tag"
    [record] = records_of_requests(store_url)
    assert record["user_pseudonym"] == ERASED == "anonymous"
    assert (record["status"], record["decision"], record["completion_tokens"]) == (
        200,
        "allowed",
        3,
    )
    assert record["duration_ms"] is not None  # completed
    assert stored_requests(open_store(store_url)) == 0  # nothing kept after the erasure


def test_a_request_whose_person_is_removed_while_it_runs_is_recorded_erased(
    store_url: str, serve: Serve
) -> None:
    with (
        anna_asking(store_url, serve) as (engine, client, pseudonym),
        ThreadPoolExecutor(1) as pool,
    ):
        asked = pool.submit(
            client.chat.completions.create, model="amt-modell", messages=HELLO, max_tokens=5
        )
        engine.arrived.wait()  # past the key check and the quota: at the engine
        remove_anna(store_url)
        engine.released.set()
        answer = asked.result()
    assert answer.choices[0].message.content == "Guten Tag"
    [record] = records_of_requests(store_url)
    assert record["user_pseudonym"] == ERASED
    assert pseudonym not in json.dumps(list(export(open_store(store_url))), default=str)
    assert (record["status"], record["decision"], record["prompt_tokens"]) == (200, "allowed", 2)
    assert stored_requests(open_store(store_url)) == 0


def test_a_person_not_removed_keeps_their_pseudonym_and_content(
    store_url: str, serve: Serve
) -> None:
    """The check names the person by id and salt: while they exist, nothing changes."""
    with anna_asking(store_url, serve) as (engine, client, pseudonym):
        engine.released.set()
        list(client.chat.completions.create(model="amt-modell", messages=HELLO, stream=True))
        client.chat.completions.create(model="amt-modell", messages=HELLO)
    records = records_of_requests(store_url)
    assert [r["user_pseudonym"] for r in records] == [pseudonym, pseudonym]
    assert stored_requests(open_store(store_url)) == 2
