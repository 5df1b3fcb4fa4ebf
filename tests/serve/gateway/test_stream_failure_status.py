"""An engine that fails is the engine's failure, streamed or not: the client and the audit
record get 502 (`engine_unavailable`) for a stream whose engine breaks off midway, as for the
same engine's failure without a stream. Before, the stream's record said 500, a failure of the
server itself, and its error event said only "see the server log"; a failure of the model in
this process is still a 500."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse, StreamingResponse

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import (
    GenerationResult,
    SamplingParams,
    TextStream,
    TransformersBackend,
    UpstreamBackend,
)
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
HELLO = [{"role": "user", "content": "Hallo"}]
BROKEN = {"error": {"message": "CUDA out of memory", "type": "InternalServerError", "code": 500}}


def failing_engine() -> FastAPI:
    """An OpenAI-compatible engine that fails: with a 500 at once, or, streaming, after the
    first piece with an error event (as vLLM ends a stream whose generation failed)."""
    engine = FastAPI()

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "wackelig", "max_model_len": 256}]}

    @engine.post("/v1/chat/completions")
    async def chat(body: dict):
        if not body.get("stream"):
            return JSONResponse(BROKEN, status_code=500)

        def events() -> Iterator[str]:
            piece = {"choices": [{"index": 0, "delta": {"content": "Hal"}}]}
            yield f"data: {json.dumps(piece)}\n\n"
            yield f"data: {json.dumps(BROKEN)}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return engine


def ask(url: str, key: str, stream: bool) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/chat/completions",
        json={"model": "wackelig", "messages": HELLO, "max_tokens": 4, "stream": stream},
        headers={"authorization": f"Bearer {key}"},
        timeout=60,
    )


def events_of(answer: httpx.Response) -> list[dict]:
    return [
        json.loads(line.removeprefix("data: "))
        for line in answer.text.splitlines()
        if line.startswith("data: {")
    ]


def test_an_engine_that_breaks_off_a_stream_is_a_502_as_without_a_stream(
    serve: Serve, tmp_path: Path
) -> None:
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    with serve(failing_engine()) as engine_url:
        app = create_app(UpstreamBackend(engine_url), gateway=Gateway(store))
        with serve(app) as url:
            whole = ask(url, key, stream=False)
            streamed = ask(url, key, stream=True)
    assert whole.status_code == 502 and whole.json()["error"]["code"] == "engine_unavailable"
    assert streamed.status_code == 200  # the headers had gone before the engine failed
    *pieces, failure = events_of(streamed)
    assert pieces[-1]["choices"][0]["delta"]["content"] == "Hal"
    error = failure["error"]
    assert (error["code"], error["type"]) == ("engine_unavailable", "server_error")
    assert "CUDA out of memory" in error["message"]  # the engine's reason, as a 502 says it
    assert error["request_id"] == streamed.headers["x-request-id"]
    assert "[DONE]" not in streamed.text
    records = [(r["route"], r["status"], r["decision"]) for r in export(store)]
    assert records == [("/v1/chat/completions", 502, "allowed")] * 2  # was 502 and 500


class Crashing(TransformersBackend):
    """The model in this process fails midway: the server's own failure, a 500."""

    def stream(self, prompt: object, params: SamplingParams) -> TextStream:
        def pieces() -> Iterator[str]:
            yield "Hal"
            raise RuntimeError("kaputt")

        return TextStream(pieces())  # type: ignore[arg-type]

    def generate_batch(self, *args: object, **kwargs: object) -> list[GenerationResult]:
        raise RuntimeError("kaputt")


def test_the_model_in_process_that_fails_midway_is_still_a_500(
    model_dir: Path, serve: Serve, tmp_path: Path
) -> None:
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    app = create_app(Crashing(model_dir, model_name=MODEL_NAME), gateway=Gateway(store))
    with serve(app) as url:
        streamed = httpx.post(
            f"{url}/v1/chat/completions",
            json={"model": MODEL_NAME, "messages": HELLO, "max_tokens": 4, "stream": True},
            headers={"authorization": f"Bearer {key}"},
            timeout=60,
        )
    error = events_of(streamed)[-1]["error"]
    assert error["type"] == "server_error" and error["code"] == "server_error"
    assert "kaputt" not in streamed.text
    assert [(r["status"], r["decision"]) for r in export(store)] == [(500, "allowed")]
