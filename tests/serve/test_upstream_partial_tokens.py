"""Through the gateway, a chat token that holds only part of a character is named as the
in-process backend names it (`\\xe2\\x80`, `logprobs.named_by_bytes`) wherever the engine's
`bytes` say which part: engines name it "" (llama-server: the text before the broken
character), U+FFFD, or `bytes:\\xe2\\x80` (OpenAI's legacy form). Where the engine sends no
bytes, or U+FFFD's own three (vLLM), nothing better is known and its name is passed on.

A second `gemeingut serve` process, whose bigram model says „ as the tokens E2 80 and 9E
(`test_partial_tokens`), stands in for an engine that names parts as the gateway does: its
names pass unchanged, in chat and in legacy completions. Small apps on loopback stand in for
engines that name them otherwise."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gemeingut.model.tokenizer import EOS, train_tokenizer
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from tests.http_server import running_server, serving_process
from tests.serve.test_no_replacement_characters import SENTENCES, STRONG, WEAK, bigram_model

QUOTE_START, EURO_START = [0xE2, 0x80], [0xE2, 0x82]  # „ is E2 80 9E, € is E2 82 AC
REPLACEMENT = list("\ufffd".encode())  # what vLLM sends as the bytes of a part
CHAT = {
    "messages": [{"role": "user", "content": "x"}],
    "max_tokens": 2,
    "temperature": 0,
    "logprobs": True,
    "top_logprobs": 2,
}


def entry(token: str, data: list[int] | None, top: list[dict[str, Any]] | None = None) -> dict:
    return {"token": token, "logprob": -0.5, "bytes": data, "top_logprobs": top or []}


# An answer „ÿ" as engines name its tokens: llama-server, OpenAI's legacy form, vLLM, an engine
# without bytes, and a whole character.
ENGINE_CONTENT = [
    entry("", QUOTE_START, [entry("", QUOTE_START), entry("\ufffd", EURO_START)]),
    entry("bytes:\\x9e", [0x9E]),
    entry("\ufffd", REPLACEMENT, [entry("\ufffd", REPLACEMENT)]),
    entry("\ufffd", None),
    entry('"', [0x22]),
]
GATEWAY_NAMES = [
    ("\\xe2\\x80", ["\\xe2\\x80", "\\xe2\\x82"]),
    ("\\x9e", []),
    ("\ufffd", ["\ufffd"]),
    ("\ufffd", []),
    ('"', []),
]


def engine() -> FastAPI:
    app = FastAPI()

    @app.get("/v1/models")
    def models() -> dict[str, object]:
        return {"data": [{"id": "m"}]}

    @app.post("/tokenize")
    def tokenize() -> dict[str, object]:
        return {"count": 3}

    @app.post("/v1/chat/completions")
    def chat() -> dict[str, object]:
        message = {"role": "assistant", "content": '„\ufffd\ufffd"'}
        choice = {"index": 0, "message": message, "finish_reason": "length"}
        choice["logprobs"] = {"content": ENGINE_CONTENT}
        return {"choices": [choice], "usage": {"prompt_tokens": 3, "completion_tokens": 5}}

    return app


def names(answer: httpx.Response) -> list[tuple[str, list[str]]]:
    assert answer.status_code == 200, answer.text
    content = answer.json()["choices"][0]["logprobs"]["content"]
    return [(t["token"], [a["token"] for a in t["top_logprobs"]]) for t in content]


def test_parts_of_characters_are_named_by_the_bytes_the_engine_sends() -> None:
    with (
        running_server(engine()) as engine_url,
        running_server(create_app(UpstreamBackend(engine_url))) as url,
    ):
        answer = httpx.post(f"{url}/v1/chat/completions", json=CHAT | {"model": "m"})
    assert names(answer) == GATEWAY_NAMES
    # the bytes themselves are the engine's, unchanged
    sent = [t["bytes"] for t in answer.json()["choices"][0]["logprobs"]["content"]]
    assert sent == [t["bytes"] for t in ENGINE_CONTENT]


@pytest.fixture(scope="module")
def engine_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`gemeingut serve` in its own process with a model that splits „ into E2 80 and 9E."""
    tokenizer_dir = tmp_path_factory.mktemp("byte-tokenizer")
    train_tokenizer(SENTENCES, tokenizer_dir, vocab_size=300)
    chain: list[bytes | str] = [b"x", bytes(QUOTE_START), b"\x9e", EOS]
    follows: dict[bytes | str, dict[bytes | str, float]] = {
        a: {b: STRONG} for a, b in itertools.pairwise(chain)
    }
    follows[b"x"][bytes(EURO_START)] = WEAK
    follows[b"\n"] = dict(follows[b"x"])  # a chat's answer begins after the template's "\n"
    model_dir = bigram_model(tokenizer_dir, tmp_path_factory.mktemp("split"), follows)
    with serving_process(str(model_dir), "split") as url:
        yield url


def test_a_gemeingut_engines_names_pass_unchanged(engine_url: str) -> None:
    completion = {"prompt": "x", "max_tokens": 2, "logprobs": 2, "temperature": 0}
    with running_server(create_app(UpstreamBackend(engine_url))) as url:
        answers = {
            route: [
                httpx.post(f"{base}/v1/{route}", json=body | {"model": "split"}, timeout=60)
                for base in (url, engine_url)
            ]
            for route, body in (("chat/completions", CHAT), ("completions", completion))
        }
    chat = answers["chat/completions"]
    assert names(chat[0]) == names(chat[1])
    assert [name for name, _ in names(chat[0])] == ["\\xe2\\x80", "\\x9e"]
    assert names(chat[0])[0][1] == ["\\xe2\\x80", "\\xe2\\x82"]
    assert chat[0].json()["choices"][0]["logprobs"] == chat[1].json()["choices"][0]["logprobs"]
    through, direct = (a.json()["choices"][0]["logprobs"] for a in answers["completions"])
    assert through == direct and through["tokens"] == ["bytes:\\xe2\\x80", "bytes:\\x9e"]
