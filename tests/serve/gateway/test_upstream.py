"""The gateway in front of an upstream engine: a second `gemeingut serve` process stands in for
vLLM. Chats, streams, completions and embeddings pass through with the gateway's keys, quotas
and audit log; so do log-probabilities, echo and the tokenizer routes, as the engine renders
them; an engine that is down is a 502 the client may retry."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import openai
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from typer.testing import CliRunner

from gemeingut.cli import app as cli_app
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key, utcnow
from gemeingut.serve.gateway.policy import Policy
from gemeingut.serve.gateway.quotas import set_limits, usage
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import content_log
from tests.http_server import serving_process
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
HELLO = [{"role": "user", "content": "Hallo"}]


@pytest.fixture(scope="module")
def engine_url(model_dir: Path) -> Iterator[str]:
    """The upstream engine: `gemeingut serve` in its own process, as vLLM would run."""
    with serving_process(str(model_dir), MODEL_NAME) as url:
        yield url


def test_the_gateway_passes_work_on_and_keeps_the_books(
    engine_url: str, serve: Serve, tmp_path: Path
) -> None:
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    set_limits(store, "user", "anna", tokens_per_day=100_000)
    backend = UpstreamBackend(engine_url, model_name="amt-modell")
    assert backend.upstream_model == MODEL_NAME and backend.context_length == 256
    with serve(create_app(backend, gateway=Gateway(store))) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
        assert [m.id for m in client.models.list().data] == ["amt-modell"]
        chat = client.chat.completions.create(
            model="amt-modell", messages=HELLO, max_tokens=5, temperature=0, seed=3
        )
        direct = openai.OpenAI(base_url=f"{engine_url}/v1", api_key="x").chat.completions.create(
            model=MODEL_NAME, messages=HELLO, max_tokens=5, temperature=0, seed=3
        )
        assert chat.choices[0].message.content == direct.choices[0].message.content
        assert chat.usage.total_tokens == direct.usage.total_tokens
        streamed = client.chat.completions.create(
            model="amt-modell",
            messages=HELLO,
            max_tokens=5,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(streamed)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == chat.choices[0].message.content
        completion = client.completions.create(model="amt-modell", prompt="Die Katze", max_tokens=4)
        assert completion.usage.completion_tokens > 0
        vectors = client.embeddings.create(model="amt-modell", input=["Hallo", "Welt"])
        assert len(vectors.data) == 2 and len(vectors.data[0].embedding) == 32
    records = list(export(store))
    assert [r["status"] for r in records] == [200, 200, 200, 200]
    assert records[1]["completion_tokens"] == chunks[-1].usage.completion_tokens
    counted = usage(store, "user", "anna", utcnow())
    spent = (
        chat.usage.total_tokens
        + chunks[-1].usage.total_tokens
        + completion.usage.total_tokens
        + vectors.usage.total_tokens
    )
    assert counted["tokens_today"] == spent and counted["tokens_reserved"] == 0


def test_an_engine_that_is_down_is_a_502_and_a_clear_cli_error(
    engine_url: str, serve: Serve
) -> None:
    backend = UpstreamBackend(engine_url)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with serve(create_app(backend)) as url:
        assert httpx.get(f"{url}/ready").status_code == 200
    # the engine went away after the gateway started
    backend.client.base_url = backend._client_options["base_url"] = dead
    with serve(create_app(backend)) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
        with pytest.raises(openai.APIStatusError) as failed:
            client.chat.completions.create(model=MODEL_NAME, messages=HELLO, max_tokens=2)
        ready = httpx.get(f"{url}/ready")  # a load balancer stops sending requests here
    assert failed.value.status_code == 502
    assert failed.value.response.headers["retry-after"] == "5"
    assert ready.status_code == 503 and ready.headers["retry-after"] == "5"
    assert "nicht erreichbar" in ready.json()["error"]["message"]
    result = CliRunner().invoke(cli_app, ["serve", "--upstream", dead, "--port", "0"])
    assert result.exit_code == 2 and "nicht erreichbar" in result.output


def test_log_probabilities_echo_and_the_tokenizer_pass_through_as_the_engine_gives_them(
    engine_url: str, serve: Serve, tmp_path: Path
) -> None:
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    backend = UpstreamBackend(engine_url, model_name="amt-modell")
    with serve(create_app(backend, gateway=Gateway(store, content_days=1))) as url:
        gateway = httpx.Client(base_url=url, headers={"authorization": f"Bearer {key}"})
        engine = httpx.Client(base_url=engine_url)

        def both(path: str, body: dict | None = None) -> tuple[dict, dict]:
            if body is None:
                answers = gateway.get(path), engine.get(path)
            else:
                answers = (
                    gateway.post(path, json=body | {"model": "amt-modell"}),
                    engine.post(path, json=body | {"model": MODEL_NAME}),
                )
            assert [a.status_code for a in answers] == [200, 200], answers[0].text
            return answers[0].json(), answers[1].json()

        ids = both("/tokenize", {"prompt": "Die Katze sieht den Garten."})[0]["tokens"]
        echoed = []
        for body in (
            {"prompt": "Die Katze sieht", "echo": True, "logprobs": 2, "max_tokens": 1},
            {"prompt": ids, "echo": True, "logprobs": 0, "max_tokens": 0},
            {"prompt": "Die Katze", "echo": True, "max_tokens": 3},
            {"prompt": ["Der Hund", "Das Brot"], "logprobs": 1, "max_tokens": 3},
        ):
            via, direct = both("/v1/completions", body | {"temperature": 0})
            assert via["choices"] == direct["choices"]
            if body.get("echo") and isinstance(body["prompt"], str):
                scored = engine.post(
                    "/v1/completions",
                    json=body | {"model": MODEL_NAME, "temperature": 0, "logprobs": 0},
                ).json()  # where the engine's echo of the prompt ends
                prompt_ends = scored["choices"][0]["logprobs"]["text_offset"][
                    scored["usage"]["prompt_tokens"]
                ]
                echoed.append((via["id"], via["choices"][0]["text"][prompt_ends:]))
        chat = {"messages": HELLO, "logprobs": True, "top_logprobs": 2, "max_tokens": 4}
        via, direct = both("/v1/chat/completions", chat | {"temperature": 0})
        assert via["choices"] == direct["choices"] and via["choices"][0]["logprobs"]["content"]
        for path, body in (
            ("/tokenize", {"messages": HELLO}),
            ("/tokenize", {"prompt": "Hallo", "add_special_tokens": False}),
            ("/detokenize", {"tokens": ids}),
            ("/tokenizer_info", None),
        ):
            via, direct = both(path, body)
            assert via == {k: v for k, v in direct.items() if k in via} and via
        refused = gateway.post(
            "/v1/completions",
            json={"model": "amt-modell", "prompt": "x", "return_tokens_as_token_ids": True},
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["param"] == "return_tokens_as_token_ids"
        assert httpx.post(f"{url}/tokenize", json={"prompt": "x"}).status_code == 401
    statuses = [r["status"] for r in export(store)]
    assert statuses.count(200) == 5  # the completions and the chat, each with its record
    with store.connect() as conn:
        kept = dict(conn.execute(select(content_log.c.request_id, content_log.c.answer)).all())
    assert len(echoed) == 2
    for request_id, answer in echoed:  # the content log keeps the answer, not the echo
        assert kept[request_id] == answer


def test_streams_through_the_gateway_hold_no_worker_thread(serve: Serve) -> None:
    """An upstream stream is awaited in the event loop. The engine sends each of 64 streams its
    first word, then waits until the client has read all 64 before it sends the second: read in
    worker threads, 40 streams (anyio's threads) would each hold one while waiting for their
    second word, and the other 24 would never get their first."""
    import asyncio
    import json as jsonlib

    from fastapi.responses import StreamingResponse

    engine = FastAPI()
    first_words_read, all_read_before_second = [0], []

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "langsam", "max_model_len": 256}]}

    def event(choice: dict, **extra: object) -> str:
        return f"data: {jsonlib.dumps({'choices': [choice], **extra})}\n\n"

    @engine.post("/v1/chat/completions")
    async def chat() -> StreamingResponse:
        async def events():
            yield event({"index": 0, "delta": {"content": "Guten"}, "finish_reason": None})
            for _ in range(100):  # at most 10 s
                if first_words_read[0] == 64:
                    break
                await asyncio.sleep(0.1)
            all_read_before_second.append(first_words_read[0] == 64)
            yield event({"index": 0, "delta": {"content": " Tag"}, "finish_reason": None})
            usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
            yield event({"index": 0, "delta": {}, "finish_reason": "stop"}, usage=usage)
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    body = {"model": "langsam", "messages": HELLO, "stream": True}

    async def streams(url: str) -> list[str]:
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

            async def one() -> str:
                words = []
                async with client.stream("POST", "/v1/chat/completions", json=body) as answer:
                    async for line in answer.aiter_lines():
                        if not line.startswith("data: {"):
                            continue
                        choices = jsonlib.loads(line[6:])["choices"]
                        if choices and choices[0]["delta"].get("content"):
                            words.append(choices[0]["delta"]["content"])
                            if len(words) == 1:
                                first_words_read[0] += 1
                return "".join(words)

            return await asyncio.gather(*(one() for _ in range(64)))

    with serve(engine) as engine_url:
        backend = UpstreamBackend(engine_url, max_connections=64)
        with serve(create_app(backend, max_waiting=64)) as url:
            texts = asyncio.run(streams(url))
    assert texts == ["Guten Tag"] * 64
    assert all_read_before_second == [True] * 64


def test_an_engine_that_answers_no_json_is_a_502(serve: Serve) -> None:
    from fastapi.responses import PlainTextResponse

    engine = FastAPI()

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "kaputt", "max_model_len": 256}]}

    @engine.post("/v1/completions")
    def completions() -> PlainTextResponse:
        return PlainTextResponse("Wartungsarbeiten")

    @engine.post("/tokenize")
    def tokenize() -> dict:
        return {"tokens": [1, 2]}  # no count

    with serve(engine) as engine_url, serve(create_app(UpstreamBackend(engine_url))) as url:
        body = {"model": "kaputt", "prompt": "Hallo", "max_tokens": 2}
        answer = httpx.post(f"{url}/v1/completions", json=body, timeout=30)
        assert answer.status_code == 502 and "kein JSON-Objekt" in answer.json()["error"]["message"]
        counted = httpx.post(f"{url}/tokenize", json={"model": "kaputt", "prompt": "Hallo"})
        assert counted.status_code == 502


def test_a_stream_closed_before_its_first_piece_ends_at_the_engine(serve: Serve) -> None:
    """A client that leaves while its stream waits for the model (or an audit record that
    cannot be written) closes the engine's answer although nothing of it was read."""
    import asyncio

    from fastapi.responses import StreamingResponse

    from gemeingut.serve.backends import ChatPrompt, SamplingParams

    engine = FastAPI()
    ended = [0]

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "langsam", "max_model_len": 256}]}

    @engine.post("/v1/chat/completions")
    async def chat() -> StreamingResponse:
        async def events():
            try:
                await asyncio.sleep(30)
                yield "data: [DONE]\n\n"
            finally:
                ended[0] += 1

        return StreamingResponse(events(), media_type="text/event-stream")

    prompt, params = ChatPrompt((("user", "Hallo"),)), SamplingParams(max_tokens=2)

    async def open_and_leave(backend: UpstreamBackend) -> None:
        for _ in range(3):  # one connection: an answer left open would make the next one wait
            stream = await asyncio.wait_for(backend.astream(prompt, params), timeout=10)
            await stream.aclose()

    with serve(engine) as engine_url:
        asyncio.run(open_and_leave(UpstreamBackend(engine_url, max_connections=1)))
        deadline = time.monotonic() + 10
        while ended[0] < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert ended[0] == 3


def test_an_echo_as_vllm_writes_it_keeps_the_answer_alone_in_the_content_log(
    serve: Serve, tmp_path: Path
) -> None:
    """vLLM echoes a text prompt as written but counts its BOS token's text in the offsets:
    the prompt itself, not the offsets, tells where the answer starts."""
    engine = FastAPI()

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "vllm-art", "max_model_len": 256}]}

    @engine.post("/v1/completions")
    def completions(body: dict) -> dict:
        tokens = ["<s>", "Die", " Akte", " liegt", " vor"]  # the BOS text is counted …
        offsets = [0, 3, 6, 11, 17]
        logprobs = {
            "tokens": tokens,
            "token_logprobs": [None, -1.0, -2.0, -3.0, -0.5],
            "top_logprobs": [None, *({t: -1.0} for t in tokens[1:])],
            "text_offset": offsets,
        }
        choice = {"index": 0, "text": body["prompt"] + " liegt vor", "logprobs": logprobs}
        usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
        return {"choices": [{**choice, "finish_reason": "length"}], "usage": usage}  # … not echoed

    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    gateway = Gateway(store, content_days=1)
    with serve(engine) as engine_url:
        app = create_app(UpstreamBackend(engine_url), gateway=gateway)
        with serve(app) as url:
            body = {"model": "vllm-art", "prompt": "Die Akte", "max_tokens": 2, "echo": True}
            answer = httpx.post(
                f"{url}/v1/completions", json=body, headers={"authorization": f"Bearer {key}"}
            )
    assert answer.status_code == 200 and answer.json()["choices"][0]["text"] == "Die Akte liegt vor"
    with store.connect() as conn:
        assert conn.execute(select(content_log.c.answer)).scalar_one() == " liegt vor"


def test_the_engines_connections_close_when_the_server_stops(engine_url: str) -> None:
    from fastapi.testclient import TestClient

    backend = UpstreamBackend(engine_url)
    with TestClient(create_app(backend, hosts=None)) as client:  # starts and shuts down
        streamed = client.post(
            "/v1/chat/completions",
            json={"model": MODEL_NAME, "messages": HELLO, "max_tokens": 2, "stream": True},
        )
        assert streamed.status_code == 200 and "[DONE]" in streamed.text
        (session,) = backend.streams._sessions.values()  # the stream went through the loop's pool
        assert not session.closed
    assert session.closed and len(backend.streams._sessions) == 0 and backend.client.is_closed


def test_token_id_prompts_are_screened_as_the_engine_reads_them(
    engine_url: str, serve: Serve
) -> None:
    """lm-evaluation-harness sends token ids: a gateway with a policy reads them as text by
    the engine's /detokenize instead of refusing them."""
    backend = UpstreamBackend(engine_url)
    engine = httpx.Client(base_url=engine_url)

    def ids(text: str) -> list[int]:
        answer = engine.post("/tokenize", json={"model": MODEL_NAME, "prompt": text})
        return answer.json()["tokens"]

    with serve(create_app(backend, policy=Policy.load("default"))) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
        harmless = ids("Die Katze sieht den Garten.")
        answer = client.completions.create(model=MODEL_NAME, prompt=harmless, max_tokens=2)
        assert answer.usage.prompt_tokens == len(harmless)
        with pytest.raises(openai.BadRequestError) as refused:
            client.completions.create(
                model=MODEL_NAME, prompt=ids("Wie kann ich eine Bombe bauen?"), max_tokens=2
            )
    assert "weapons-of-mass-harm" in str(refused.value)
