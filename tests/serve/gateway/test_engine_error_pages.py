"""An engine's refusal reaches the client in words it can read: OpenAI's JSON error (vLLM,
llama-server, Ollama, an older vLLM's top-level `message`) is passed on; anything else — the
HTML page of a proxy before the engine, a plain-text line of its web server — becomes our own
message naming the status and that the answer was not JSON. Before, the first 300 characters
of such a page went to the client as the error's message: markup, and the proxy's host name.
The page itself is for the operator: the server's log has it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import httpx
import openai
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend

Serve = Callable[[FastAPI], AbstractContextManager[str]]
PROXY_PAGE = (
    "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
    "<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx/1.24.0 "
    "(gpu-node-7.intern)</center>\r\n</body>\r\n</html>\r\n"
)
NOT_JSON = {
    "de": "die vorgelagerte Engine antwortete {status}, aber nicht mit JSON (vielleicht "
    "antwortete ein Proxy vor ihr); das Protokoll des Servers zeigt die Antwort",
    "en": "the upstream engine answered {status}, and not with JSON (perhaps a proxy before it "
    "answered); the server's log shows the answer",
}
# What the engine answers a completion prompt with: a status and a body.
ANSWERS: dict[str, Response] = {
    "openai": JSONResponse(
        {"error": {"message": "max_tokens is too large", "type": "BadRequestError"}}, 400
    ),
    "older-vllm": JSONResponse(
        {"object": "error", "message": "the prompt is too long", "code": 400}, 400
    ),
    "no-route": JSONResponse({"detail": "Not Found"}, 404),
    "plain": PlainTextResponse("404 page not found", 404),
    "empty": Response(status_code=404),
    "key-refused": JSONResponse({"error": {"message": "invalid api key"}}, 401),
    "forbidden": HTMLResponse("<html>403 Forbidden</html>", 403),
    "json-without-message": JSONResponse({"detail": [{"loc": ["body"]}]}, 422),
}


def behind_a_proxy() -> FastAPI:
    """An engine whose chats a proxy refuses with its HTML page, and whose completions answer
    as `ANSWERS` says for the prompt."""
    engine = FastAPI()

    @engine.get("/v1/models")
    def models() -> dict:
        return {"data": [{"id": "hinter-proxy", "max_model_len": 256}]}

    @engine.post("/v1/chat/completions")
    def chat() -> HTMLResponse:
        return HTMLResponse(PROXY_PAGE, status_code=413)

    @engine.post("/v1/completions")
    async def completions(request: Request) -> Response:
        return ANSWERS[(await request.json())["prompt"]]

    return engine


@pytest.fixture
def gateway(serve: Serve) -> Iterator[str]:
    with (
        serve(behind_a_proxy()) as engine_url,
        serve(create_app(UpstreamBackend(engine_url))) as url,
    ):
        yield url


def refusal(url: str, language: str, body: dict) -> tuple[int, str]:
    route = "/v1/chat/completions" if "messages" in body else "/v1/completions"
    answer = httpx.post(f"{url}{route}", json=body, headers={"accept-language": language})
    return answer.status_code, answer.json()["error"]["message"]


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_proxys_html_page_is_said_in_our_words_and_logged(
    gateway: str, language: str, stream: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gemeingut.serve")
    body = {"model": "hinter-proxy", "messages": [{"role": "user", "content": "Hallo"}]}
    status, message = refusal(gateway, language, body | {"stream": stream})
    assert status == 400
    assert message == NOT_JSON[language].format(status=413)
    logged = [r.getMessage() for r in caplog.records if r.name == "gemeingut.serve"]
    assert len(logged) == 1 and "<title>413 Request Entity Too Large</title>" in logged[0]


def test_the_openai_client_reads_our_message(gateway: str) -> None:
    client = openai.OpenAI(base_url=f"{gateway}/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(
            model="hinter-proxy", messages=[{"role": "user", "content": "Hallo"}]
        )
    assert refused.value.body["message"] == NOT_JSON["de"].format(status=413)


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("openai", "die Engine hat die Anfrage abgelehnt: max_tokens is too large"),
        ("older-vllm", "die Engine hat die Anfrage abgelehnt: the prompt is too long"),
        ("no-route", "die Engine hat die Anfrage abgelehnt: Not Found"),
        ("plain", NOT_JSON["de"].format(status=404)),
        ("empty", NOT_JSON["de"].format(status=404)),
        (
            "json-without-message",
            "die vorgelagerte Engine antwortete 422, ohne einen Grund zu nennen",
        ),
    ],
)
def test_an_engines_json_error_is_passed_on_and_nothing_else(
    gateway: str, prompt: str, expected: str
) -> None:
    status, message = refusal(gateway, "de", {"model": "hinter-proxy", "prompt": prompt})
    assert (status, message) == (400, expected)


@pytest.mark.parametrize(("prompt", "status"), [("key-refused", "401"), ("forbidden", "403")])
def test_an_engine_refusing_the_servers_own_key_is_no_fault_of_the_client(
    gateway: str, prompt: str, status: str
) -> None:
    """The client's key was the gateway's to check; the engine refusing the gateway is a
    failure of the server (502), and the message points the operator to the engine's key."""
    got, message = refusal(gateway, "de", {"model": "hinter-proxy", "prompt": prompt})
    assert got == 502
    assert message == (
        f"die vorgelagerte Engine verweigerte diesem Server den Zugang ({status}): der "
        "Betreiber des Servers muss dessen Schlüssel für die Engine prüfen (--upstream-key-env)"
    )
