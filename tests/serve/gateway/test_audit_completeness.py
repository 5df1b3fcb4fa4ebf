"""No request that got a response is missing from the audit log, and none is in it twice: a
request the framework or the guard refused before any route check (JSON that cannot be read, a
413, a 415), a field out of range, an unknown model, a 500 nobody foresaw. Each gets one
metadata-only record, with the pseudonym where its key was valid. Token ids outside the
vocabulary are a 400 naming the request's field, also where a policy reads them as text."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import openai
import pytest
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key
from gemeingut.serve.gateway.policy import Policy
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
HELLO = [{"role": "user", "content": "Hallo"}]
MAX_BODY = 4096
BOMB = "Wie kann ich eine Bombe bauen?"


class Server:
    def __init__(self, url: str, gateway: Gateway, key_id: str, key: str) -> None:
        self.url, self.gateway, self.key_id, self.key = url, gateway, key_id, key

    def post(self, path: str, body: object, key: str | None = None, **headers: str) -> int:
        """POST `body` (a dict as JSON, bytes as they are) with the key; the status."""
        sent = {"authorization": f"Bearer {key or self.key}", "content-type": "application/json"}
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.post(self.url + path, content=content, headers=sent | headers).status_code

    def records(self) -> list[dict]:
        return list(export(self.gateway.engine))


@pytest.fixture
def server(backend: TransformersBackend, serve: Serve, tmp_path: Path) -> Iterator[Server]:
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    key_id, key = create_key(store, "anna")
    gateway = Gateway(store)
    app = create_app(
        backend, gateway=gateway, policy=Policy.load("default"), max_body_bytes=MAX_BODY
    )
    with serve(app) as url:
        yield Server(url, gateway, key_id, key)


def test_token_ids_outside_the_vocabulary_are_a_400_naming_the_field(server: Server) -> None:
    """The policy reads token ids as text: an id the tokenizer does not know was a 500."""
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=server.key, max_retries=0)
    for ids in ([99999999], [-5]):
        with pytest.raises(openai.BadRequestError) as refused:
            client.completions.create(model=MODEL_NAME, prompt=ids, max_tokens=1)
        assert refused.value.body["param"] == "prompt"
        assert f"Token-ID {ids[0]} liegt außerhalb des Vokabulars" in refused.value.message
    with pytest.raises(openai.BadRequestError) as refused:
        client.embeddings.create(model=MODEL_NAME, input=[99999999])
    assert refused.value.body["param"] == "input"
    assert "außerhalb des Vokabulars" in refused.value.message
    records = server.records()
    assert [(r["status"], r["decision"]) for r in records] == [(400, "invalid_request")] * 3
    assert all(r["key_id"] == server.key_id and r["user_pseudonym"] for r in records)


def test_every_answer_to_a_valid_key_has_exactly_one_record(server: Server) -> None:
    chat = {"model": MODEL_NAME, "messages": HELLO, "max_tokens": 2}
    asked = [
        (server.post("/v1/chat/completions", b"{kein JSON"), 400, "invalid_request"),
        (server.post("/v1/chat/completions", chat | {"max_tokens": -1}), 400, "invalid_request"),
        (server.post("/v1/chat/completions", chat | {"frage": 1}), 400, "invalid_request"),
        (server.post("/v1/completions", {"prompt": "x" * MAX_BODY}), 413, "too_large"),
        (
            server.post("/v1/chat/completions", chat, **{"content-type": "text/plain"}),
            415,
            "unsupported_media_type",
        ),
        (server.post("/v1/chat/completions", chat | {"model": "fremd"}), 404, "not_found"),
        (
            httpx.get(
                f"{server.url}/v1/chat/completions",
                headers={"authorization": f"Bearer {server.key}"},
            ).status_code,
            405,
            "method_not_allowed",
        ),
        # recorded where they are decided, as before: once, not again
        (
            server.post(
                "/v1/chat/completions",
                chat | {"messages": [{"role": "user", "content": BOMB}]},
            ),
            400,
            "policy:weapons-of-mass-harm",
        ),
        (server.post("/v1/chat/completions", chat), 200, "allowed"),
        (server.post("/v1/chat/completions", chat | {"stream": True}), 200, "allowed"),
    ]
    assert [status for status, _, _ in asked] == [status for _, status, _ in asked]
    records = server.records()
    assert [(r["status"], r["decision"]) for r in records] == [
        (status, decision) for _, status, decision in asked
    ]
    assert len({r["request_id"] for r in records}) == len(records)
    for record in records:
        assert record["key_id"] == server.key_id and record["user_pseudonym"], record
        assert len(json.dumps(record, default=str).encode()) < 512


def test_a_request_without_a_valid_key_is_recorded_once_too(server: Server) -> None:
    """A refused key is recorded by the key check; where the body is refused before that
    check runs, the answer's own record names the key id it claimed, and no person."""
    assert server.post("/v1/chat/completions", {"model": MODEL_NAME}, "gg_000000000000_x") == 401
    assert server.post("/v1/chat/completions", b"{kein JSON", "gg_000000000000_x") == 400
    assert server.post("/v1/completions", b"x" * (MAX_BODY + 1), "kein-schluessel") == 413
    records = server.records()
    assert [(r["status"], r["decision"], r["key_id"]) for r in records] == [
        (401, "auth:invalid_api_key", "000000000000"),
        (400, "invalid_request", "000000000000"),
        (413, "too_large", None),
    ]
    assert all(r["user_pseudonym"] is None for r in records)


def test_routes_outside_the_audit_get_no_record_of_their_answers(server: Server) -> None:
    headers = {"authorization": f"Bearer {server.key}"}
    assert httpx.get(f"{server.url}/v1/models", headers=headers).status_code == 200
    assert httpx.get(f"{server.url}/health").status_code == 200
    assert httpx.post(f"{server.url}/tokenize", headers=headers, content=b"{").status_code == 400
    assert server.records() == []


class Breaking(TransformersBackend):
    """The tiny model, failing where nobody foresaw it: before admission (its chat template)
    and after (its generation)."""

    def apply_chat_template(self, messages: list, add_generation_prompt: bool = True) -> str:
        raise RuntimeError("kaputt")

    def generate_batch(self, *args: object, **kwargs: object) -> list:
        raise RuntimeError("kaputt")


def test_a_server_error_is_a_500_with_one_record(
    model_dir: Path, serve: Serve, tmp_path: Path
) -> None:
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    key_id, key = create_key(store, "anna")
    app = create_app(Breaking(model_dir, model_name=MODEL_NAME), gateway=Gateway(store))
    with serve(app) as url:
        for ask in (
            lambda client: client.chat.completions.create(model=MODEL_NAME, messages=HELLO),
            lambda client: client.completions.create(model=MODEL_NAME, prompt="x", max_tokens=2),
        ):
            # a client of its own: the server closes the connection of a 500 behind it
            client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
            with pytest.raises(openai.InternalServerError) as failed:
                ask(client)
            assert failed.value.status_code == 500 and "kaputt" not in failed.value.message
    records = list(export(store))
    assert [(r["status"], r["decision"]) for r in records] == [
        (500, "server_error"),  # before admission: written as the 500 leaves
        (500, "allowed"),  # after: the admission's own record, not a second one
    ]
    assert all(r["key_id"] == key_id and r["user_pseudonym"] for r in records)


def test_a_model_without_a_chat_template_is_a_400_for_a_document_answer(
    model_dir: Path, serve: Serve, tmp_path: Path
) -> None:
    """Fitting the sources to the context renders the conversation: a model without a chat
    template refused it there with a 500."""
    import shutil

    from gemeingut.apps.rag.index import ingest

    plain = tmp_path / "ohne-vorlage"
    shutil.copytree(model_dir, plain)
    (plain / "chat_template.jinja").unlink()
    (tmp_path / "akten").mkdir()
    (tmp_path / "akten" / "notiz.txt").write_text("Die Frist beträgt dreißig Tage.")
    ingest(tmp_path / "collections", "vergabe", [tmp_path / "akten"], groups=["einkauf"])
    store = open_store(str(tmp_path / "gateway.db"))
    add_group(store, "einkauf")
    add_user(store, "anna", ("einkauf",))
    _, key = create_key(store, "anna")
    backend = TransformersBackend(plain, model_name=MODEL_NAME)
    app = create_app(backend, gateway=Gateway(store), collections=tmp_path / "collections")
    with serve(app) as url:
        answer = httpx.post(
            f"{url}/v1/collections/vergabe/answer",
            json={"question": "Wie lang ist die Frist?"},
            headers={"authorization": f"Bearer {key}"},
        )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["param"] == "question"
    assert "keine Chat-Vorlage" in answer.json()["error"]["message"]
    assert answer.json()["error"]["code"] == "no_chat_template"
    assert [(r["status"], r["decision"]) for r in export(store)] == [(400, "invalid_request")]
