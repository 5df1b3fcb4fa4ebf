"""A request the engine failed to answer is charged no tokens, so a client that asks again pays
once. Before, a stream whose engine failed before it sent any text (its error event, or its
connection broken) was charged the prompt, counted by the engine's `/tokenize`: a client that
retried paid for it twice. An engine's 502 before the answer already settled to 0; it stays so.

Every such request still counts against the requests per minute, as the 429 of that limit
says (`quotas.settle`: a prompt that makes the engine fail must stay rate-limited).

The engine is the foreign OpenAI-like engine of `test_engine_without_usage` (it counts one
token a word) on its own loopback port; in front of it, a switch makes its next chat call fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import openai
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key, utcnow
from gemeingut.serve.gateway.quotas import set_limits, usage
from gemeingut.serve.gateway.store import open_store
from tests.serve.gateway.test_engine_without_usage import QUESTION, foreign_engine

Serve = Callable[[FastAPI], AbstractContextManager[str]]
SSE = [(b"content-type", b"text/event-stream")]


class FailingNext:
    """The engine, whose next chat call fails as `fail` names it: `502` (an error page before
    any answer), `error_event` (a stream that says the engine failed before any text), or
    `broken` (a stream whose connection breaks before any text)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.fail: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.fail is None or scope.get("path") != "/v1/chat/completions":
            await self.app(scope, receive, send)
            return
        how, self.fail = self.fail, None
        while (await receive()).get("more_body"):
            pass
        if how == "502":
            body = json.dumps({"error": {"message": "Bad Gateway"}}).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 502, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await send({"type": "http.response.start", "status": 200, "headers": SSE})
        if how == "error_event":
            said = b'data: {"error": {"message": "engine died"}}\n\n'
            await send({"type": "http.response.body", "body": said})
            return
        raise ConnectionAbortedError("the engine's process died")  # uvicorn drops the line


def test_an_engine_failure_costs_no_tokens_and_a_retry_pays_once(
    serve: Serve, tmp_path: Path, fresh_minute: None, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    set_limits(store, "user", "anna", tokens_per_day=10_000, requests_per_minute=100)
    engine = FailingNext(foreign_engine(counts=True))
    with serve(engine) as engine_url:  # type: ignore[arg-type]
        app = create_app(UpstreamBackend(engine_url), gateway=Gateway(store))
        with serve(app) as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)

            def ask(stream: bool) -> int:
                """The tokens the answer's usage tells."""
                if not stream:
                    answer = client.chat.completions.create(
                        model="fremd", messages=QUESTION, max_tokens=5
                    )
                    return answer.usage.total_tokens
                chunks = list(
                    client.chat.completions.create(
                        model="fremd",
                        messages=QUESTION,
                        max_tokens=5,
                        stream=True,
                        stream_options={"include_usage": True},
                    )
                )
                return chunks[-1].usage.total_tokens

            paid = 0
            for fail, stream in (
                ("502", False),
                ("502", True),
                ("error_event", True),
                ("broken", True),
            ):
                engine.fail = fail
                with pytest.raises(openai.APIError):
                    ask(stream)
                paid += ask(stream)  # the client asks again, and is answered
            counted = usage(store, "user", "anna", utcnow())
            assert (counted["tokens_today"], counted["tokens_reserved"]) == (paid, 0)
            assert paid == 4 * 7  # 4 words asked, 3 answered: each answer paid once

            failed = [r for r in export(store) if r["status"] != 200]
            assert [(r["status"], r["prompt_tokens"], r["completion_tokens"]) for r in failed] == [
                (502, 0, 0),
                (502, 0, 0),
                (502, 0, 0),  # the engine's failure midway: 502, as before the stream
                (502, 0, 0),
            ]
            assert counted["requests_this_minute"] == 8  # the failed four count too
            set_limits(store, "user", "anna", requests_per_minute=8)
            with pytest.raises(openai.RateLimitError) as refused:
                ask(stream=False)
    said = refused.value.body["message"]
    assert said.startswith("die Grenze „Anfragen pro Minute“ von Person anna: 8 Anfragen")
    assert "(4 davon konnte die Engine nicht beantworten: sie zählen mit); warten Sie bis " in said
    assert refused.value.body["param"] == "requests_per_minute"
    logged = [r.getMessage() for r in caplog.records if r.name == "gemeingut.serve"]
    assert "die Erzeugung ist während des Streams fehlgeschlagen" not in logged  # the engine's
    assert any("der Stream der vorgelagerten Engine ist fehlgeschlagen" in m for m in logged)
