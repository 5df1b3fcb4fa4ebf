"""What one streamed chat costs the gateway's database, and how the engine's events are read.

A stream through `serve --upstream … --db` used to run twelve SQL statements: the key and then
its groups, whether a limit counts tokens, then the limits again and the key again, five
BEGINs through SQLAlchemy's statement machinery, the record opened and completed. That work,
in the gateway's one process, bounded how many streams it could pass on (docs/benchmarks.md,
(b)). Now: the key with its groups in one statement, the limits with the key's validity in
one, the record opened and completed — four, on SQLite and PostgreSQL alike, in three
transactions (a stream's record is opened in the transaction that reserves its quota, not in
one of its own after a read), with three calls to the gateway's database thread (the key,
the quota with the record, the stream's end) and none to anyio's worker threads (a
conversation packed for the engine and a request no policy screens need none) — and the
behaviour stays (the record complete, a key revoked before the quota is taken a 401).

The engine's server-sent events are split into lines here, not by httpx's decoders: a line
cut between two network reads, inside a UTF-8 character or between CR and LF, still arrives
whole.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import anyio.to_thread
import openai
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine, event

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.database_thread import DatabaseThreads
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import (
    AuthError,
    add_group,
    add_user,
    authenticate,
    create_key,
    revoke_key,
    utcnow,
)
from gemeingut.serve.gateway.quotas import reserve_uncounted, set_limits, usage
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
HELLO = [{"role": "user", "content": "Hallo"}]
ANSWER = "Grüße aus Köln – schön, dass du da bist"
USAGE = {"prompt_tokens": 2, "completion_tokens": 9, "total_tokens": 11}


def engine_app() -> FastAPI:
    """An OpenAI-like engine that streams ANSWER with CRLF line ends, each event's bytes cut
    in two network writes inside a UTF-8 character or between CR and LF."""
    engine = FastAPI()

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "fremd", "max_model_len": 512}]}

    @engine.post("/v1/chat/completions")
    async def chat() -> StreamingResponse:
        def chunk(delta: dict, finish: str | None = None, usage: dict | None = None) -> bytes:
            choices = [{"index": 0, "delta": delta, "finish_reason": finish}]
            data = {"choices": [] if usage else choices} | ({"usage": usage} if usage else {})
            return f"data: {json.dumps(data, ensure_ascii=False)}\r\n\r\n".encode()

        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": piece}) for piece in _pieces(ANSWER)]
        events += [chunk({}, "stop"), chunk({}, usage=USAGE), b"data: [DONE]\r\n\r\n"]

        async def body() -> AsyncIterator[bytes]:
            for data in events:
                cut = _awkward_cut(data)
                yield data[:cut]
                await asyncio.sleep(0.01)  # a separate read for the gateway
                yield data[cut:]

        return StreamingResponse(body(), media_type="text/event-stream")

    return engine


def _pieces(text: str) -> list[str]:
    """The answer in pieces of three characters (several hold a multi-byte character)."""
    return [text[i : i + 3] for i in range(0, len(text), 3)]


def _awkward_cut(data: bytes) -> int:
    """Where to cut an event: inside its first multi-byte character, else between CR and LF."""
    for i, byte in enumerate(data):
        if byte >= 0xC0:  # a UTF-8 lead byte: cut after it, before its continuation
            return i + 1
    return data.index(b"\r\n") + 1


def counting_statements(store: Engine) -> list[str]:
    """Every SQL statement the gateway's database runs from now on, and "BEGIN" for each
    transaction (which SQLite's store issues to the driver itself)."""
    statements: list[str] = []

    @event.listens_for(store, "before_cursor_execute")
    def _count(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        statements.append(statement)

    @event.listens_for(store, "begin")
    def _begun(_conn) -> None:
        statements.append("BEGIN")

    return statements


def counting_hand_offs(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every call the server hands to anyio's worker threads from now on (what
    `run_in_threadpool` and FastAPI's sync dependencies go through), still run as it was."""
    handed: list[object] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(func, *args, **kwargs):
        handed.append(func)
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    return handed


def counting_database_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every call the gateway hands to its database threads from now on, still
    run as it was (`database_thread.py`)."""
    called: list[str] = []
    call = DatabaseThreads.call

    async def counted(self, func, *args):
        called.append(getattr(func, "__qualname__", repr(func)))
        return await call(self, func, *args)

    monkeypatch.setattr(DatabaseThreads, "call", counted)
    return called


@contextmanager
def limited_through_an_engine(
    store_url: str, serve: Serve, scope: str, name: str, **limits: int
) -> Iterator[tuple[Engine, str, openai.OpenAI]]:
    """anna (group amt) asking a gateway in front of `engine_app`, her key limited to 30
    requests a minute and the `scope` `name` to `limits`: the store, the key's id, her client."""
    store = open_store(store_url)
    add_group(store, "amt")
    add_user(store, "anna", ("amt",))
    key_id, key = create_key(store, "anna")
    set_limits(store, "key", key_id, requests_per_minute=30)
    set_limits(store, scope, name, **limits)
    with serve(engine_app()) as engine_url:
        backend = UpstreamBackend(engine_url, model_name="amt-modell")
        with serve(create_app(backend, gateway=Gateway(store))) as url:
            yield store, key_id, openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)


def test_a_stream_takes_four_statements_three_transactions_three_database_calls(
    store_url: str, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(store_url)
    add_group(store, "amt")
    add_user(store, "anna", ("amt",))
    _, key = create_key(store, "anna")
    with serve(engine_app()) as engine_url:
        backend = UpstreamBackend(engine_url, model_name="amt-modell")
        with serve(create_app(backend, gateway=Gateway(store))) as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)

            def stream() -> tuple[str, int]:
                chunks = list(
                    client.chat.completions.create(
                        model="amt-modell",
                        messages=HELLO,
                        stream=True,
                        stream_options={"include_usage": True},
                    )
                )
                text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
                return text, chunks[-1].usage.total_tokens

            assert stream() == (ANSWER, 11)  # the first use of the key also notes it
            statements = counting_statements(store)
            handed = counting_hand_offs(monkeypatch)
            called = counting_database_calls(monkeypatch)
            assert stream() == (ANSWER, 11)
    assert handed == []  # none to anyio's worker threads: the gateway's database thread
    # The key; the quota with the record; the stream's end.
    assert called == ["identify", "reserve_uncounted", "Admission._attempt"], called
    begins = statements.count("BEGIN")
    assert (len(statements) - begins, begins) == (4, 3), statements
    records = list(export(store))
    assert [(r["status"], r["decision"], r["prompt_tokens"]) for r in records] == [
        (200, "allowed", 2),
        (200, "allowed", 2),
    ]
    assert all(r["completion_tokens"] == 9 and r["duration_ms"] is not None for r in records)


def test_a_limited_stream_takes_each_limit_in_one_statement(
    store_url: str, serve: Serve, monkeypatch: pytest.MonkeyPatch, fresh_minute: None
) -> None:
    """The limits of `bench/serve.py --stream-limits`: requests per minute of the key, open
    streams of the user. A stream takes twelve statements in three transactions (fourteen
    before the statements below were made one, and two of the twelve are its lease), with three
    hand-offs: the key's lock returns its validity; the minute's counter takes in one
    conditional UPDATE where it exists; the open streams lock their row and insert the stream's
    place where the count leaves room, in one INSERT; the lease of what the stream holds is
    written with it (`leases.py`: freed if the server process is killed); the stream's end
    deletes the lease and gives back its place."""
    limited = limited_through_an_engine(store_url, serve, "user", "anna", concurrent_streams=4)
    with limited as (store, key_id, client):

        def stream() -> str:
            chunks = client.chat.completions.create(model="amt-modell", messages=HELLO, stream=True)
            return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)

        assert stream() == ANSWER  # makes the minute's counter and the streams' row
        statements = counting_statements(store)
        handed = counting_hand_offs(monkeypatch)
        called = counting_database_calls(monkeypatch)
        assert stream() == ANSWER
    assert handed == []
    assert called == ["identify", "reserve_uncounted", "Admission._attempt"], called
    begins = statements.count("BEGIN")
    assert (len(statements) - begins, begins) == (12, 3), statements
    assert usage(store, "user", "anna", utcnow())["open_streams"] == 0  # both places given back
    assert usage(store, "key", key_id, utcnow())["requests_this_minute"] == 2


def test_a_request_without_stream_reads_its_limits_again_only_where_tokens_count(
    governed: tuple[str, Gateway], fresh_minute: None
) -> None:
    """On PostgreSQL one transaction reads the limits and takes from them (its write lock is
    on the rows it writes). On SQLite a write transaction locks the whole database, so a read
    comes first (a request without limits never queues for the lock); the takes under the
    lock read their limits' values themselves, so the limits are not read again there (they
    were, before: `test_quota_limits_read_once`). A limit in tokens: read once to learn that
    the tokens must be counted, once where they are taken (three times before)."""
    url, gateway = governed
    engine = gateway.engine
    _, key = create_key(engine, "anna")
    set_limits(engine, "user", "anna", requests_per_minute=50)
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)

    def reads_of_limits() -> int:
        statements.clear()
        client.chat.completions.create(model=MODEL_NAME, messages=HELLO, max_tokens=1)
        # Statements that select limit rows; on SQLite the key's check under the lock also
        # says which limits are set (`test_limit_set_while_queued`), in the same statement.
        return sum(statement.startswith("SELECT quota_limits.") for statement in statements)

    statements = counting_statements(engine)
    reads_of_limits()  # the first use of the key also notes it
    assert reads_of_limits() == 1
    set_limits(engine, "group", "schule", tokens_per_day=10_000)
    assert reads_of_limits() == 2


def test_one_read_tells_whether_tokens_must_be_counted(store_url: str) -> None:
    store = open_store(store_url)
    add_group(store, "amt")
    add_group(store, "beirat")
    add_user(store, "anna", ("beirat", "amt"))
    key_id, key = create_key(store, "anna")
    principal = authenticate(store, key)
    assert principal.groups == ("amt", "beirat")  # the key's groups, by name

    free = reserve_uncounted(store, principal, stream=True, now=utcnow())
    assert free is not None and free.tokens == 0 and not free.stream_places
    set_limits(store, "member", "amt", concurrent_streams=3)  # a limit, but not in tokens
    held = reserve_uncounted(store, principal, stream=True, now=utcnow())
    assert held is not None and [kind for kind, _s, _p in held.stream_places] == ["member"]
    set_limits(store, "group", "beirat", tokens_per_day=1_000)
    assert reserve_uncounted(store, principal, stream=True, now=utcnow()) is None

    revoke_key(store, key_id)
    set_limits(store, "group", "beirat", tokens_per_day=None)
    set_limits(store, "member", "amt", concurrent_streams=None)
    with pytest.raises(AuthError) as refused:  # no limit applies: the same read checks the key
        reserve_uncounted(store, principal, stream=True, now=utcnow())
    assert refused.value.code == "revoked_api_key"


def test_a_user_without_groups_has_none(store_url: str) -> None:
    store = open_store(store_url)
    add_user(store, "ben")
    _, key = create_key(store, "ben")
    principal = authenticate(store, key)
    assert (principal.user, principal.groups, principal.models) == ("ben", (), None)
