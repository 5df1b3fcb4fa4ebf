"""When generation itself fails, the client hears it in OpenAI's shape, never as a traceback."""

from __future__ import annotations

from collections.abc import Generator

from fastapi.testclient import TestClient

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import GenerationResult, SamplingParams, TextStream

HELLO = [{"role": "user", "content": "Hallo"}]


class BrokenBackend:
    """Speaks the Backend protocol, then fails the way a crashing engine would."""

    model_name = "broken"

    def apply_chat_template(self, messages: list[dict[str, str]]) -> str:
        return messages[-1]["content"]

    def generate(self, prompt: str, params: SamplingParams) -> GenerationResult:
        raise RuntimeError("secret internal detail")

    def generate_batch(
        self, prompts: list[str], params: SamplingParams, n: int = 1, cancel: object = None
    ) -> list[GenerationResult]:
        raise RuntimeError("secret internal detail")

    def stream(self, prompt: str, params: SamplingParams) -> TextStream:
        def pieces() -> Generator[str, None, GenerationResult]:
            yield "Hal"
            raise RuntimeError("secret internal detail")

        return TextStream(pieces())


def client() -> TestClient:
    app = create_app(BrokenBackend())
    return TestClient(app, base_url="http://localhost", raise_server_exceptions=False)


def test_a_crash_is_a_500_in_error_shape_without_internals() -> None:
    response = client().post("/v1/chat/completions", json={"model": "broken", "messages": HELLO})
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error"
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert response.json()["error"]["request_id"] == response.headers["x-request-id"]


def test_a_crash_midway_through_a_stream_ends_it_with_an_error_event() -> None:
    body = {"model": "broken", "messages": HELLO, "stream": True}
    with client().stream("POST", "/v1/chat/completions", json=body) as response:
        raw = "".join(response.iter_text())
    assert '"content": "Hal"' in raw
    request_id = response.headers["x-request-id"]  # the error names it, as support needs
    ending = f'"param":null,"code":"server_error","request_id":"{request_id}"}}}}'
    assert raw.rstrip().endswith(ending)
    assert '"type":"server_error"' in raw
    assert "die Erzeugung ist fehlgeschlagen" in raw  # German unless the client asks otherwise
    assert "[DONE]" not in raw
    assert "secret" not in raw
    english = {"Accept-Language": "en"}
    with client().stream("POST", "/v1/chat/completions", json=body, headers=english) as response:
        assert "generation failed; see the server log" in "".join(response.iter_text())


def test_the_openai_schemas_are_the_published_api_docs() -> None:
    paths = client().get("/openapi.json").json()["paths"]
    chat = paths["/v1/chat/completions"]["post"]
    assert chat["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ChatCompletion"
    }
    assert "400" in chat["responses"] and "404" in chat["responses"]
