"""The in-process backend: token-by-token streaming, stop strings, seeds, one request at a time."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from gemeingut.serve.backends import (
    RequestRejected,
    SamplingParams,
    TransformersBackend,
    first_stop,
    stable_length,
)

GREEDY = SamplingParams(max_tokens=20, temperature=0)
PROMPT = "Die Lehrerin sucht"


def test_text_that_may_begin_a_stop_string_is_held_back() -> None:
    assert stable_length("Hallo We", ("Welt",)) == len("Hallo ")
    assert stable_length("Hallo W", ("xyz", "Welt")) == len("Hallo ")
    assert stable_length("Hallo", ("Welt",)) == len("Hallo")


def test_an_unfinished_utf8_character_is_held_back() -> None:
    assert stable_length("Gr\ufffd", ()) == 2


def test_the_earliest_stop_string_wins() -> None:
    assert first_stop("a b c d", ("d", "b")) == 2
    assert first_stop("a b c", ("x",)) is None


def test_stream_yields_pieces_lazily_and_reports_usage_at_the_end(
    backend: TransformersBackend,
) -> None:
    stream = backend.stream(PROMPT, GREEDY)
    first = next(stream)
    assert first
    assert stream.result is None, "nothing is known about the end before the end"
    rest = list(stream)
    assert rest, "one token at a time, not everything in one piece"
    assert stream.result == backend.generate(PROMPT, GREEDY)
    assert first + "".join(rest) == stream.result.text
    assert stream.result.completion_tokens == 20
    assert stream.result.finish_reason == "length"


def test_a_stop_string_ends_the_text_even_across_pieces(backend: TransformersBackend) -> None:
    full = backend.generate(PROMPT, GREEDY).text
    stop = full[5:8]
    params = SamplingParams(max_tokens=20, temperature=0, stop=(stop,))
    pieces = list(backend.stream(PROMPT, params))
    assert "".join(pieces) == full[: full.index(stop)]
    assert backend.generate(PROMPT, params).finish_reason == "stop"


def test_seeded_sampling_repeats_and_different_seeds_differ(backend: TransformersBackend) -> None:
    def sample(seed: int) -> str:
        return backend.generate(PROMPT, SamplingParams(max_tokens=20, seed=seed)).text

    assert sample(1) == sample(1)
    assert sample(1) != sample(2)


def test_closing_a_stream_early_frees_the_model_for_the_next_request(
    backend: TransformersBackend,
) -> None:
    stream = backend.stream(PROMPT, GREEDY)
    next(stream)
    stream.close()
    done = threading.Event()
    worker = threading.Thread(target=lambda: (backend.generate(PROMPT, GREEDY), done.set()))
    worker.start()
    worker.join(timeout=30)
    assert done.is_set()


def test_a_prompt_that_fills_the_context_is_rejected(backend: TransformersBackend) -> None:
    with pytest.raises(RequestRejected, match="fasst höchstens 256 Tokens"):
        backend.stream("Der Hund liebt den Fluss. " * 200, GREEDY)


def test_chat_prompts_follow_the_model_template(backend: TransformersBackend) -> None:
    prompt = backend.apply_chat_template([{"role": "user", "content": "Hallo"}])
    assert prompt == "<|im_start|>user\nHallo<|im_end|>\n<|im_start|>assistant\n"


def test_generation_stops_on_eos_and_end_of_turn(backend: TransformersBackend) -> None:
    vocab = backend.tokenizer.get_vocab()
    assert backend.stop_token_ids == {vocab["</s>"], vocab["<|im_end|>"]}


def test_an_end_token_finishes_the_answer_with_stop(backend: TransformersBackend) -> None:
    prompt = backend.apply_chat_template([{"role": "user", "content": "Hi"}])
    answers = [
        backend.generate(prompt, SamplingParams(max_tokens=50, seed=seed)) for seed in range(10)
    ]
    ended = [a for a in answers if a.finish_reason == "stop"]
    assert ended, "a random model samples an end token sooner or later"
    assert all(a.completion_tokens < 50 for a in ended)
    assert not any("<|im_end|>" in a.text or "</s>" in a.text for a in answers)


def test_messages_the_chat_template_refuses_are_rejected(model_dir: Path) -> None:
    backend = TransformersBackend(model_dir)
    backend.tokenizer.chat_template = "{{ raise_exception('roles must alternate') }}"
    with pytest.raises(RequestRejected, match="roles must alternate"):
        backend.apply_chat_template([{"role": "user", "content": "Hallo"}])
