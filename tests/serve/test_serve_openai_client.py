"""The server speaks OpenAI: the official `openai` client works against it unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from openai import OpenAI
from transformers import AutoTokenizer

MODEL_NAME = "tiny-llama"  # as named by the `backend` fixture
MESSAGES = [
    {"role": "system", "content": "Du antwortest kurz."},
    {"role": "user", "content": "Die Katze sieht den Garten."},
]


@pytest.fixture(scope="module")
def client(server_url: str) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{server_url}/v1", api_key="unused", max_retries=0, timeout=60) as c:
        yield c


def chat(client: OpenAI, **overrides):  # type: ignore[no-untyped-def]
    settings = {"model": MODEL_NAME, "messages": MESSAGES, "max_tokens": 12, "temperature": 0}
    return client.chat.completions.create(**(settings | overrides))


def test_models_list_names_the_served_model(client: OpenAI) -> None:
    models = client.models.list()
    assert [m.id for m in models.data] == [MODEL_NAME]
    assert models.data[0].object == "model"


def test_chat_completion_answers_as_assistant_with_usage_of_the_templated_prompt(
    client: OpenAI, model_dir: Path
) -> None:
    answer = chat(client)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    prompt = tokenizer.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)

    assert answer.object == "chat.completion"
    assert answer.model == MODEL_NAME
    [choice] = answer.choices
    assert choice.message.role == "assistant"
    assert choice.message.content
    assert choice.finish_reason in {"stop", "length"}
    assert answer.usage is not None
    assert answer.usage.prompt_tokens == len(tokenizer(prompt)["input_ids"])
    assert 0 < answer.usage.completion_tokens <= 12
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens


@pytest.mark.parametrize(
    "sampling", [{"temperature": 0}, {"temperature": 0.9, "top_p": 0.8, "seed": 7}]
)
def test_streamed_chat_deltas_join_to_the_non_streamed_answer(
    client: OpenAI, sampling: dict[str, float]
) -> None:
    whole = chat(client, max_tokens=24, **sampling)
    chunks = list(
        chat(client, max_tokens=24, stream=True, stream_options={"include_usage": True}, **sampling)
    )

    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(text_chunks) > 1, "the answer should arrive in pieces, not at once"
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == whole.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == (
        whole.choices[0].finish_reason
    )
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == []
    assert usage_chunk.usage == whole.usage


def test_same_seed_gives_the_same_sampled_text(client: OpenAI) -> None:
    first = chat(client, temperature=1.0, seed=123, max_tokens=16)
    again = chat(client, temperature=1.0, seed=123, max_tokens=16)
    assert first.choices[0].message.content == again.choices[0].message.content


def test_completion_continues_a_plain_prompt(client: OpenAI) -> None:
    answer = client.completions.create(
        model=MODEL_NAME, prompt="Der Hund findet", max_tokens=8, temperature=0
    )
    assert answer.object == "text_completion"
    [choice] = answer.choices
    assert choice.text
    assert choice.finish_reason == "length"
    assert answer.usage is not None
    assert answer.usage.completion_tokens == 8

    streamed = client.completions.create(
        model=MODEL_NAME, prompt="Der Hund findet", max_tokens=8, temperature=0, stream=True
    )
    chunks = list(streamed)
    assert "".join(c.choices[0].text for c in chunks) == choice.text
    assert chunks[-1].choices[0].finish_reason == "length"


@pytest.mark.parametrize("max_tokens", [1, 5])
def test_max_tokens_is_honoured_and_reported_as_length(client: OpenAI, max_tokens: int) -> None:
    answer = chat(client, max_tokens=max_tokens)
    assert answer.usage is not None
    assert answer.usage.completion_tokens <= max_tokens
    if answer.usage.completion_tokens == max_tokens:
        assert answer.choices[0].finish_reason == "length"


def test_max_tokens_beyond_the_room_left_is_clamped_to_it(client: OpenAI) -> None:
    """Within the context but not beside the prompt (beyond the context: a 400,
    `test_max_tokens_beyond_context`)."""
    answer = chat(client, max_tokens=256)
    assert answer.usage is not None
    assert answer.usage.total_tokens <= 256  # the fixture model's max_position_embeddings


def test_stop_string_cuts_the_text_before_it(client: OpenAI) -> None:
    full = chat(client, max_tokens=24).choices[0].message.content
    assert full is not None
    stop = a_substring_inside(full)
    cut = chat(client, max_tokens=24, stop=[stop, "never-appears"])
    assert cut.choices[0].message.content == full[: full.index(stop)]
    assert cut.choices[0].finish_reason == "stop"

    streamed = chat(client, max_tokens=24, stop=stop, stream=True)
    chunks = list(streamed)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == full[: full.index(stop)]
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_prompt_longer_than_the_context_is_a_bad_request(client: OpenAI) -> None:
    too_long = [{"role": "user", "content": "Die Katze sieht den Garten. " * 200}]
    with pytest.raises(openai.BadRequestError) as raised:
        chat(client, messages=too_long)
    assert raised.value.code == "context_length_exceeded"
    assert "256" in raised.value.message


def a_substring_inside(text: str) -> str:
    """Three letters from the middle of `text`, to use as a stop string."""
    for start in range(3, len(text) - 3):
        candidate = text[start : start + 3]
        if candidate.isalpha():
            return candidate
    raise AssertionError(f"no letters to stop at in {text!r}")
