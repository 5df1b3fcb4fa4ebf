"""Behind `--upstream`, a client that hangs up ends the engine's work at once, a stream it cut
is charged what was relayed, and what the client reads of the engine is in its language.

The engine is a second `gemeingut serve` app on its own loopback port, with a gateway of its
own, so that its audit log shows how its request ended; its model is slowed (as in
`test_serve_disconnect.py`) so that an answer takes seconds, and the forward passes are counted.
A test learns that a request has ended by stopping the servers (`Setup.stop`): a server stops
once its requests have ended, so their records are complete then, however long that took.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from gemeingut.i18n import text
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import EngineUnavailable, TransformersBackend, UpstreamBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key, utcnow
from gemeingut.serve.gateway.policy import Policy
from gemeingut.serve.gateway.quotas import set_limits, usage
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME
from tests.serve.test_serve_disconnect import STEP_SECONDS, slowed

Serve = Callable[[FastAPI], AbstractContextManager[str]]
HELLO = [{"role": "user", "content": "Die Katze sieht den Garten."}]
LONG = 200  # tokens: about 6 s of the slowed model


@dataclass
class Setup:
    url: str  # the gateway
    key: str
    store: Engine
    engine_url: str
    engine_key: str
    engine_store: Engine
    forward_passes: list[int]
    stop: Callable[[], None]  # the gateway, then the engine, each once its requests ended

    def engine_count(self, body: dict) -> int:
        """The engine's token count of a `/tokenize` body."""
        headers = {"authorization": f"Bearer {self.engine_key}"}
        return httpx.post(f"{self.engine_url}/tokenize", json=body, headers=headers).json()["count"]


@pytest.fixture
def setup(model_dir: Path, serve: Serve, tmp_path: Path) -> Iterator[Setup]:
    engine_store = open_store(str(tmp_path / "engine.db"))
    add_user(engine_store, "gateway")
    _, engine_key = create_key(engine_store, "gateway")
    slow = TransformersBackend(model_dir, model_name="slow")
    passes = slowed(slow)
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    set_limits(store, "user", "anna", tokens_per_day=100_000)  # so that tokens are counted
    with ExitStack() as servers:  # closed last in, first out: the gateway first
        engine_url = servers.enter_context(serve(create_app(slow, gateway=Gateway(engine_store))))
        backend = UpstreamBackend(engine_url, api_key=engine_key)
        url = servers.enter_context(serve(create_app(backend, gateway=Gateway(store))))
        yield Setup(
            url, key, store, engine_url, engine_key, engine_store, passes, stop=servers.close
        )


def ended(store: Engine, route: str, within: float) -> dict | None:
    """The first completed record of `route`, waiting up to `within` seconds for it."""
    deadline = time.monotonic() + within
    while True:
        done = [r for r in export(store) if r["route"] == route and r["duration_ms"] is not None]
        if done or time.monotonic() > deadline:
            return done[0] if done else None
        time.sleep(0.05)


def hang_up_once_generating(setup: Setup, path: str, body: dict) -> None:
    """Send `body` to the gateway and close the connection once the engine has begun to
    generate for it (its forward passes count up): the hang-up is an event, not a timeout."""
    before = setup.forward_passes[0]
    data = json.dumps(body).encode()
    host = setup.url.removeprefix("http://")
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {setup.key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode()
    address, port = host.rsplit(":", 1)
    with socket.create_connection((address, int(port))) as client:
        client.sendall(request + data)
        while setup.forward_passes[0] == before:
            time.sleep(STEP_SECONDS)


def test_a_client_that_hangs_up_ends_the_engines_work(setup: Setup) -> None:
    """Not streamed: the gateway cancels its call, the engine sees its client leave (its own
    record says 499). Before, the engine generated to the end and answered the gateway (200).
    The records are read once both servers have stopped (`Setup.stop`), however long the
    hang-up took to travel; bounded by the answer's length, not by a deadline."""
    prompt = setup.engine_count({"prompt": "Die Katze"})
    body = {"model": "slow", "prompt": "Die Katze", "max_tokens": LONG, "n": 4}
    hang_up_once_generating(setup, "/v1/completions", body)
    setup.stop()
    [gateway] = [r for r in export(setup.store) if r["route"] == "/v1/completions"]
    [engine] = [r for r in export(setup.engine_store) if r["route"] == "/v1/completions"]
    assert gateway["status"] == 499 and engine["status"] == 499, (gateway, engine)
    assert setup.forward_passes[0] < LONG, "the engine generated to the end"
    # what the engine read is charged: the prompt; nothing of the answer reached the client
    assert (gateway["prompt_tokens"], gateway["completion_tokens"]) == (prompt, 0)
    counted = usage(setup.store, "user", "anna", utcnow())
    assert (counted["tokens_today"], counted["tokens_reserved"]) == (prompt, 0)


def test_a_stream_cut_short_is_charged_what_was_relayed(setup: Setup) -> None:
    """The gateway's record is read once the servers have stopped, not waited for with a
    deadline (it once was not there within 10 s of a loaded full run), and bounded by the
    answer's length, not by how fast the hang-up travelled (`< LONG / 2` assumed it came
    within 100 steps of the slowed model); both ends record the hang-up (499)."""
    prompt = setup.engine_count({"messages": HELLO})
    body = {
        "model": "slow",
        "messages": HELLO,
        "max_tokens": LONG,
        "stream": True,
        "temperature": 0,
    }
    headers = {"authorization": f"Bearer {setup.key}"}
    pieces = []
    with (
        httpx.Client(base_url=setup.url, headers=headers, timeout=30) as http,
        http.stream("POST", "/v1/chat/completions", json=body) as response,
    ):
        for line in response.iter_lines():
            if line.startswith("data: {"):
                delta = json.loads(line[6:])["choices"][0]["delta"]
                if delta.get("content"):
                    pieces.append(delta["content"])
            if len(pieces) == 3:
                break
    setup.stop()
    [record] = [r for r in export(setup.store) if r["route"] == "/v1/chat/completions"]
    [engine] = [r for r in export(setup.engine_store) if r["route"] == "/v1/chat/completions"]
    assert record["status"] == 499 and engine["status"] == 499, (record, engine)
    assert record["prompt_tokens"] == prompt == engine["prompt_tokens"]
    # charged by the engine's count of the relayed text, at least one token a piece (not by
    # the engine's record: its tokens, read back as text, may count one more or less)
    assert 3 <= record["completion_tokens"] < LONG, record
    counted = usage(setup.store, "user", "anna", utcnow())
    assert counted["tokens_today"] == prompt + record["completion_tokens"]
    assert counted["tokens_reserved"] == 0


@pytest.fixture
def engine_url(backend: TransformersBackend, serve: Serve) -> Iterator[str]:
    with serve(create_app(backend)) as url:
        yield url


def test_the_engines_words_come_in_the_clients_language(engine_url: str, serve: Serve) -> None:
    app = create_app(UpstreamBackend(engine_url), policy=Policy.load("default"))
    body = {"model": MODEL_NAME, "prompt": [99999999], "max_tokens": 1}

    def errors(base: str, language: str) -> dict:
        headers = {"accept-language": language}
        return httpx.post(f"{base}/v1/completions", json=body, headers=headers).json()["error"]

    with serve(app) as url:
        said = {language: errors(url, language) for language in ("de", "en")}
        engine = {language: errors(engine_url, language)["message"] for language in ("de", "en")}
        embedding = httpx.post(
            f"{url}/v1/embeddings", json={"model": MODEL_NAME, "input": [99999999]}
        )
    assert "Token-ID 99999999" in engine["de"] and "token id 99999999" in engine["en"]
    assert said["de"]["message"] == f"die Engine hat die Anfrage abgelehnt: {engine['de']}"
    assert said["en"]["message"] == f"the engine refused the request: {engine['en']}"
    assert said["de"]["param"] == said["en"]["param"] == "prompt"
    assert embedding.status_code == 400 and embedding.json()["error"]["param"] == "input"


def test_an_engine_out_of_reach_is_said_in_our_words(engine_url: str, serve: Serve) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(EngineUnavailable) as at_start:
        UpstreamBackend(dead)
    assert text(at_start.value.args[0], "de") == (
        f"die vorgelagerte Engine unter {dead} ist nicht erreichbar (Verbindung abgelehnt)"
    )
    backend = UpstreamBackend(engine_url)
    backend.client.base_url = backend._client_options["base_url"] = dead  # the engine went away
    backend.base_url = dead
    with serve(create_app(backend)) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
        with pytest.raises(openai.APIStatusError) as german:
            client.chat.completions.create(model=MODEL_NAME, messages=HELLO, max_tokens=2)
        english = httpx.post(
            f"{url}/v1/completions",
            json={"model": MODEL_NAME, "prompt": "Hallo", "max_tokens": 2},
            headers={"accept-language": "en"},
        )
    assert german.value.status_code == 502  # the client learns no address of the network
    assert german.value.body["message"] == (
        "die vorgelagerte Engine ist nicht erreichbar (Verbindung abgelehnt)"
    )
    assert english.json()["error"]["message"] == (
        "the upstream engine cannot be reached (connection refused)"
    )


def test_an_engine_failing_while_the_quota_counts_is_a_502_with_one_record(
    serve: Serve, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A quota in tokens asks the engine's /tokenize before the work: an engine that fails
    there was a 500 and left no record. Its page (not OpenAI's JSON: it may be a proxy's,
    naming hosts) is for the operator's log, not for the client."""
    from fastapi.responses import PlainTextResponse

    engine = FastAPI()

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "wackelig", "max_model_len": 256}]}

    @engine.post("/tokenize")
    def tokenize() -> PlainTextResponse:
        return PlainTextResponse("Wartungsarbeiten", status_code=500)

    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    set_limits(store, "user", "anna", tokens_per_day=1000)
    with serve(engine) as engine_url:
        app = create_app(UpstreamBackend(engine_url), gateway=Gateway(store))
        with serve(app) as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
            with pytest.raises(openai.APIStatusError) as failed:
                client.chat.completions.create(model="wackelig", messages=HELLO, max_tokens=2)
    assert failed.value.status_code == 502 and failed.value.response.headers["retry-after"]
    assert failed.value.body["message"] == "die vorgelagerte Engine antwortete 500"
    assert f"{engine_url}: die vorgelagerte Engine antwortete 500: Wartungsarbeiten" in [
        r.getMessage() for r in caplog.records
    ]
    assert [(r["status"], r["decision"]) for r in export(store)] == [(502, "engine_unavailable")]
