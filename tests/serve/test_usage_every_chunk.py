"""Usage with every chunk where a stream asks for it (vLLM's `stream_options`
`continuous_usage_stats`, with `include_usage`): each chunk says the prompt's tokens and those
generated until it, the finish chunk the answer's, and the usage chunk still ends the stream,
as vLLM sends them. A gateway in front of this server asks for it so that a stream cut short
is charged what it used without counting its text again (`test_cut_stream_usage_every_chunk`).

The official `openai` client reads the streams from a real server on loopback. The exact
counts come from the bigram model of `test_cut_stream_count`, which says a lone continuation
byte and "a" by turns, one token each: the server sends the byte once the next token shows
that it makes no character, so every piece is two tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from fastapi import FastAPI
from openai import OpenAI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend, UpstreamBackend
from tests.serve.gateway.test_cut_stream_count import by_turns, vllm_like_engine  # noqa: F401
from tests.serve.test_no_replacement_characters import token

MODEL_NAME = "tiny-llama"  # as named by the `backend` fixture
MESSAGES = [{"role": "user", "content": "Die Katze sieht den Garten."}]
EVERY = {"include_usage": True, "continuous_usage_stats": True}
Serve = Callable[[FastAPI], AbstractContextManager[str]]


def counts(usage) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    return usage.prompt_tokens, usage.completion_tokens, usage.total_tokens


@pytest.fixture(scope="module")
def client(server_url: str) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{server_url}/v1", api_key="unused", max_retries=0, timeout=60) as c:
        yield c


def test_every_text_completion_chunk_counts_the_tokens_generated_until_it(
    by_turns: Path,  # noqa: F811
    serve: Serve,
) -> None:
    backend = TransformersBackend(by_turns, model_name="turns")
    prompt = [token(backend.tokenizer, b"z")]
    with (
        serve(create_app(backend)) as url,
        OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0) as client,
    ):
        stream = client.completions.create(
            model="turns",
            prompt=prompt,
            max_tokens=8,
            temperature=0,
            stream=True,
            stream_options=EVERY,  # type: ignore[arg-type]
        )
        chunks = list(stream)
    *pieces, finish, last = chunks
    assert [c.choices[0].text for c in pieces] == ["\ufffda"] * 4
    assert [counts(c.usage) for c in pieces] == [(1, 2, 3), (1, 4, 5), (1, 6, 7), (1, 8, 9)]
    assert finish.choices[0].finish_reason == "length"
    assert counts(finish.usage) == (1, 8, 9)
    assert last.choices == [] and counts(last.usage) == (1, 8, 9)


def test_every_chat_chunk_carries_usage_from_the_role_to_the_usage_chunk(
    client: OpenAI,
) -> None:
    settings = {"model": MODEL_NAME, "messages": MESSAGES, "max_tokens": 16, "temperature": 0}
    whole = client.chat.completions.create(**settings)  # type: ignore[call-overload]
    chunks = list(
        client.chat.completions.create(**settings, stream=True, stream_options=EVERY)  # type: ignore[call-overload]
    )
    role, *pieces, finish, last = chunks
    assert whole.usage is not None and all(c.usage is not None for c in chunks)
    prompt = whole.usage.prompt_tokens
    assert role.choices[0].delta.role == "assistant"
    assert counts(role.usage) == (prompt, 0, prompt)  # nothing generated yet
    generated = [c.usage.completion_tokens for c in pieces]
    assert generated == sorted(generated) and generated[0] > 0
    assert all(counts(c.usage)[::2] == (prompt, prompt + c.usage.completion_tokens) for c in pieces)
    assert (
        "".join(c.choices[0].delta.content or "" for c in pieces)
        == whole.choices[0].message.content
    )
    assert finish.choices[0].finish_reason == whole.choices[0].finish_reason
    assert counts(finish.usage) == counts(last.usage) == counts(whole.usage)
    assert last.choices == []


def test_a_gateway_passes_on_the_usage_its_engine_sent_with_every_chunk(serve: Serve) -> None:
    """Behind `--upstream`, the engine's own counts (vLLM's, two tokens a piece here) go on
    with each chunk relayed; the role chunk, sent before the engine said anything, has none."""
    with (
        serve(vllm_like_engine()) as engine_url,
        serve(create_app(UpstreamBackend(engine_url))) as url,
        OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0) as client,
    ):
        settings = {"model": "vllm", "messages": MESSAGES, "stream": True}
        chunks = list(client.chat.completions.create(**settings, stream_options=EVERY))  # type: ignore[call-overload]
        at_the_end = list(
            client.chat.completions.create(**settings, stream_options={"include_usage": True})  # type: ignore[call-overload]
        )
    role, *pieces, finish, last = chunks
    assert role.usage is None
    assert [c.choices[0].delta.content for c in pieces] == ["Guten", " Tag"]
    assert [counts(c.usage) for c in pieces] == [(7, 2, 9), (7, 4, 11)]
    assert counts(finish.usage) == counts(last.usage) == (7, 4, 11)
    assert [c.usage is not None for c in at_the_end] == [False] * (len(at_the_end) - 1) + [True]


@pytest.mark.parametrize(
    "options",
    [{"include_usage": True}, {"continuous_usage_stats": True}, None],
    ids=["usage at the end", "every chunk without include_usage", "no options"],
)
def test_usage_is_not_sent_with_every_chunk_unless_both_are_asked(
    client: OpenAI, options: dict | None
) -> None:
    """vLLM honours `continuous_usage_stats` only with `include_usage`."""
    extra = {"stream_options": options} if options else {}
    chunks = list(
        client.chat.completions.create(
            model=MODEL_NAME,
            messages=MESSAGES,
            max_tokens=6,
            stream=True,
            **extra,  # type: ignore[call-overload]
        )
    )
    with_usage = [c for c in chunks if c.usage is not None]
    at_the_end = options is not None and options.get("include_usage", False)
    assert with_usage == ([chunks[-1]] if at_the_end else [])
    assert not at_the_end or chunks[-1].choices == []
