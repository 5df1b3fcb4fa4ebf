"""Every 4xx names its mistake in the error's `code`, so that a client or a monitoring rule tells
mistakes apart without reading the message (German or English prose): OpenAI's code where it
has one for the mistake, a clear one of ours elsewhere. A trial found `code: null` on most
400s (assist and collection routes, request validation)."""

from __future__ import annotations

import ast
import base64
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import openai
import pytest
from fastapi import FastAPI

import gemeingut
from gemeingut.apps.rag.index import ingest
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.error_codes import DEFAULT_SUFFICES
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key
from gemeingut.serve.gateway.store import open_store

MODEL_NAME = "tiny-llama"
HELLO = [{"role": "user", "content": "Hallo"}]
SNAKE = re.compile(r"[a-z][a-z0-9_]*")
PACKAGE = Path(gemeingut.__file__).parent
Serve = Callable[[FastAPI], AbstractContextManager[str]]


def code_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    code = response.json()["error"]["code"]
    assert isinstance(code, str) and SNAKE.fullmatch(code), response.text
    return code


@pytest.fixture(scope="module")
def http(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def client(server_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server_url}/v1", api_key="-", max_retries=0)


# (what is wrong, the body sent to /v1/chat/completions, the code)
CHAT_MISTAKES = [
    ("a field of no API", {"messages": HELLO, "extra_body": {"frage": 1}}, "unknown_parameter"),
    ("text for a number", {"messages": HELLO, "max_tokens": "viele"}, "invalid_type"),
    ("a count below its least", {"messages": HELLO, "max_tokens": -1}, "integer_below_min_value"),
    ("a number above its most", {"messages": HELLO, "temperature": 7.5}, "decimal_above_max_value"),
    ("no message at all", {"messages": []}, "empty_array"),
    ("top_logprobs alone", {"messages": HELLO, "top_logprobs": 2}, "invalid_value"),
    ("a model not served", {"messages": HELLO, "model": "gpt-4"}, "model_not_found"),
    ("too long a prompt", {"messages": [{"role": "user", "content": "Hallo " * 400}]},
     "context_length_exceeded"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mistake", "body", "code"), CHAT_MISTAKES, ids=[m[0] for m in CHAT_MISTAKES]
)
def test_each_mistake_in_a_chat_is_named_for_the_openai_client(
    client: openai.OpenAI, mistake: str, body: dict, code: str
) -> None:
    with pytest.raises(openai.APIStatusError) as refused:
        client.chat.completions.create(**{"model": MODEL_NAME, **body})
    assert refused.value.status_code in (400, 404)
    assert refused.value.code == code, refused.value.body


def test_each_mistake_of_a_completion_has_its_code(http: httpx.Client) -> None:
    ask = {"model": MODEL_NAME, "prompt": "Hallo"}
    answer = http.post("/v1/completions", json={"model": MODEL_NAME})
    assert code_of(answer, 400) == "missing_required_parameter"
    answer = http.post("/v1/completions", json=ask | {"best_of": 3, "n": 1})
    assert code_of(answer, 400) == "unsupported_value"
    assert code_of(http.post("/v1/completions", json=ask | {"max_tokens": 0}), 400) == (
        "invalid_value"
    )


def test_a_body_that_is_no_json_object_has_its_code(http: httpx.Client) -> None:
    def sent(content: bytes) -> httpx.Response:
        headers = {"content-type": "application/json"}
        return http.post("/v1/chat/completions", content=content, headers=headers)

    assert code_of(sent(b'{"model": '), 400) == "invalid_json"
    assert code_of(sent(b"[1, 2]"), 400) == "invalid_type"
    assert code_of(sent(b'{"model": "\xff"}'), 400) == "invalid_encoding"
    form = http.post("/v1/chat/completions", content=b"a=1", headers={"content-type": "text/x"})
    assert code_of(form, 415) == "unsupported_media_type"
    assert code_of(sent(b" " * (5 * 1024 * 1024)), 413) == "request_too_large"


def test_what_the_framework_refuses_has_its_code(http: httpx.Client) -> None:
    assert code_of(http.get("/v1/nirgends"), 404) == "unknown_url"
    assert code_of(http.delete("/v1/models"), 405) == "method_not_allowed"
    assert code_of(http.get("/api-docs/favicon.png"), 404) == "not_found"


def test_routes_of_what_this_server_does_not_offer_say_so(http: httpx.Client) -> None:
    assert code_of(http.get("/v1/collections"), 404) == "collections_off"
    assert code_of(http.get("/v1/findings"), 404) == "findings_off"
    answer = http.post("/tokenize", json={"model": MODEL_NAME})
    assert code_of(answer, 400) == "exactly_one_required"


def test_each_mistake_of_a_tender_draft_has_its_code(http: httpx.Client) -> None:
    assert code_of(http.post("/v1/assist/tender", json={}), 400) == "exactly_one_required"
    broken = {"file": {"name": "entwurf.txt", "data": "kein base64!"}}
    assert code_of(http.post("/v1/assist/tender", json=broken), 400) == "invalid_base64"
    foreign = {"file": {"name": "entwurf.exe", "data": base64.b64encode(b"MZ").decode()}}
    assert code_of(http.post("/v1/assist/tender", json=foreign), 400) == ("unsupported_file_format")
    blank = {"file": {"name": "entwurf.txt", "data": base64.b64encode(b"  \n").decode()}}
    assert code_of(http.post("/v1/assist/tender", json=blank), 400) == "no_text"


@pytest.fixture
def keyed(tmp_path: Path, backend: TransformersBackend, serve: Serve) -> Iterator[tuple[str, str]]:
    """A server with keys (real SQLite) and one collection of the group einkauf; anna's key."""
    folder = tmp_path / "akten"
    folder.mkdir()
    (folder / "notiz.txt").write_text("Die Frist beträgt dreißig Tage.\n", encoding="utf-8")
    ingest(tmp_path / "collections", "vergabe", [folder], groups=["einkauf"])
    engine = open_store(str(tmp_path / "gateway.db"))
    add_group(engine, "einkauf")
    add_user(engine, "anna", ("einkauf",))
    _, key = create_key(engine, "anna")
    gateway = Gateway(engine)
    with serve(create_app(backend, gateway=gateway, collections=tmp_path / "collections")) as url:
        yield url, key
    gateway.close()


def test_keys_and_collections_name_each_mistake(keyed: tuple[str, str]) -> None:
    url, key = keyed
    with httpx.Client(base_url=url, timeout=60) as http:
        assert code_of(http.get("/v1/models"), 401) == "missing_api_key"
        wrong = {"Authorization": "Bearer sk-gg-falsch"}
        assert code_of(http.get("/v1/models", headers=wrong), 401) == "invalid_api_key"
        http.headers["Authorization"] = f"Bearer {key}"
        source = "/v1/collections/vergabe/source"
        missing = http.get(source, params={"document": "fehlt.txt"})
        assert code_of(missing, 404) == "document_not_found"
        lines = http.get(source, params={"document": "akten/notiz.txt", "lines": "viele"})
        assert code_of(lines, 400) == "invalid_value"
        beyond = http.get(source, params={"document": "akten/notiz.txt", "lines": "90-99"})
        assert code_of(beyond, 404) == "lines_not_found"
        assert code_of(http.get("/v1/collections/andere/source?document=a"), 404) == (
            "collection_not_found"
        )
        upload = http.post(
            "/v1/collections/vergabe/documents?filename=a.txt",
            content=b"x",
            headers={"Content-Type": "application/octet-stream"},
        )
        assert code_of(upload, 403) == "uploads_off"


def raise_sites() -> Iterator[tuple[str, ast.Call]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "APIError":
                yield f"{path.relative_to(PACKAGE.parent)}:{node.lineno}", node


def test_every_api_error_raised_names_its_code() -> None:
    """By reading the code: a raise site names its code, but for a status whose default code
    is right wherever it is used (a 404's `not_found`); a literal code is snake_case."""
    sites = list(raise_sites())
    assert len(sites) > 60  # the walk finds them
    unnamed, malformed = [], []
    for where, call in sites:
        named = {k.arg: k.value for k in call.keywords}
        code = named.get("code", call.args[3] if len(call.args) > 3 else None)
        status = call.args[0] if call.args else named.get("status")
        if code is None:
            if not (isinstance(status, ast.Constant) and status.value in DEFAULT_SUFFICES):
                unnamed.append(where)
        elif isinstance(code, ast.Constant) and not SNAKE.fullmatch(str(code.value)):
            malformed.append(where)
    assert unnamed == []
    assert malformed == []


def test_every_code_in_the_code_is_in_the_operators_guide() -> None:
    """docs/operating.md's table of codes is what a monitoring rule is written from: each code
    a raise site names (`code="…"`, in `APIError` and the engines' refusals) is in it."""
    named = {
        keyword.value.value
        for path in sorted((PACKAGE / "serve").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg == "code" and isinstance(keyword.value, ast.Constant)
        and isinstance(keyword.value.value, str)
    }  # fmt: skip
    guide = (PACKAGE.parent / "docs" / "operating.md").read_text(encoding="utf-8")
    assert len(named) > 40  # the walk finds them
    assert sorted(code for code in named if f"`{code}`" not in guide) == []
