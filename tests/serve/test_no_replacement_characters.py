"""Answers hold whole characters: no U+FFFD where a token holds part of one.

The models here are bigram models made by hand (a Llama whose layers add nothing, so the next
token depends on the last one only): each is told which tokens follow which, among them the
single bytes of „, ä and € that a byte-level tokenizer keeps next to its merged tokens. So the
tests know what the model wants to say, byte by byte, and check what the server makes of it:
streamed and whole, the text equals the tokenizer's decoding of all tokens; a model that wants
an invalid byte sequence (a character's first byte and then a space, a stray continuation byte,
an end in the middle of a character) is kept to valid UTF-8 where tokens are drawn (greedy
decoding stays the likeliest token, `utf8.py`); a token's `bytes` in the chat
log-probabilities are its own, so that joined they give the character.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
import torch
from fastapi import FastAPI
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM
from transformers.convert_slow_tokenizer import bytes_to_unicode

from gemeingut.model.tokenizer import EOS, IM_END, train_tokenizer
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import SamplingParams, TransformersBackend

HIDDEN = 32
STRONG, WEAK = 10.0, 5.0  # a bigram's logits: the likeliest next token, and the one after it
SENTENCES = ["Die Bäckerin grüßt „die Stadt“ für 5 €.", "Ähre, Öl und Übung"] * 20
GREEDY = SamplingParams(max_tokens=8, temperature=0)
# Drawn, but so cold that the likeliest token allowed is as good as certain (logits 5 apart).
COLD = SamplingParams(max_tokens=8, temperature=0.05, seed=0)
Serve = Callable[[FastAPI], AbstractContextManager[str]]


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("byte-tokenizer")
    train_tokenizer(SENTENCES, out, vocab_size=300)
    return out


def token(tokenizer, piece: bytes | str) -> int:  # type: ignore[no-untyped-def]
    """The id of the token for these bytes (byte-level names), or of a special token."""
    if isinstance(piece, str):
        return tokenizer.convert_tokens_to_ids(piece)
    name = "".join(bytes_to_unicode()[b] for b in piece)
    found = tokenizer.get_vocab()[name]
    assert isinstance(found, int)
    return found


def bigram_model(
    tokenizer_dir: Path, out: Path, follows: dict[bytes | str, dict[bytes | str, float]]
) -> Path:
    """A Llama that after token a gives token b the logit `follows[a][b]` (0 for the rest)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    tokenizer.save_pretrained(str(out))
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=HIDDEN,
        intermediate_size=HIDDEN,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    ids = {
        piece: token(tokenizer, piece) for pair in follows.items() for piece in (pair[0], *pair[1])
    }
    assert len(ids) <= HIDDEN
    with torch.no_grad():
        for layer in model.model.layers:  # the residual stream keeps the token's embedding
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        model.model.embed_tokens.weight.zero_()
        model.lm_head.weight.zero_()
        for direction, piece in enumerate(ids):
            model.model.embed_tokens.weight[ids[piece], direction] = 1.0
        scale = HIDDEN**0.5  # RMSNorm makes the one-hot embedding √HIDDEN long
        for direction, piece in enumerate(ids):
            for after, logit in follows.get(piece, {}).items():
                model.lm_head.weight[ids[after], direction] = logit / scale
    stops = [tokenizer.convert_tokens_to_ids(EOS), tokenizer.convert_tokens_to_ids(IM_END)]
    model.generation_config = GenerationConfig(eos_token_id=stops)
    model.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def says_quotes(tokenizer_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """After "x" or a line break: „ in three single bytes, then ä in two, then the end."""
    chain: list[bytes | str] = [b"\xe2", b"\x80", b"\x9e", b"\xc3", b"\xa4", EOS]
    follows: dict[bytes | str, dict[bytes | str, float]] = {
        a: {b: STRONG} for a, b in itertools.pairwise(chain)
    }
    follows[b"x"] = follows[b"\n"] = {b"\xe2": STRONG}
    return bigram_model(tokenizer_dir, tmp_path_factory.mktemp("quotes"), follows)


@pytest.fixture(scope="module")
def wants_invalid(tokenizer_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Likeliest: ä's first byte and then a space ("y"), a lone continuation byte ("z"), €'s
    first byte and then the end ("w"); each time a valid token is the second likeliest."""
    follows: dict[bytes | str, dict[bytes | str, float]] = {
        b"y": {b"\xc3": STRONG},
        b"\xc3": {b" ": STRONG, b"\xa4": WEAK},
        b" ": {EOS: STRONG},
        b"\xa4": {EOS: STRONG},
        b"z": {b"\xa4": STRONG, b"a": WEAK},
        b"a": {EOS: STRONG},
        b"w": {b"\xe2": STRONG},
        b"\xe2": {EOS: STRONG, b"\x82": WEAK},
        b"\x82": {b"\xac": STRONG},
        b"\xac": {EOS: STRONG},
    }
    return bigram_model(tokenizer_dir, tmp_path_factory.mktemp("invalid"), follows)


@pytest.fixture(scope="module")
def quotes_url(says_quotes: Path, serve: Serve) -> Iterator[str]:
    with serve(create_app(TransformersBackend(says_quotes, model_name="quotes"))) as url:
        yield url


def streamed(url: str, body: dict) -> str:
    """The text of a streamed completion, its deltas joined."""
    pieces = []
    with httpx.stream("POST", f"{url}/v1/completions", json=body | {"stream": True}) as answer:
        for line in answer.iter_lines():
            if line.startswith("data: {"):
                pieces += [c["text"] for c in json.loads(line[6:])["choices"]]
    return "".join(pieces)


def test_characters_split_across_tokens_come_whole_streamed_and_not(
    says_quotes: Path, quotes_url: str
) -> None:
    backend = TransformersBackend(says_quotes)
    prompt = [token(backend.tokenizer, b"x")]
    whole = backend.generate(prompt, GREEDY)
    pieces = list(backend.stream(prompt, GREEDY))
    decoded = backend.tokenizer.decode(list(whole.token_ids), skip_special_tokens=True)
    assert whole.text == "".join(pieces) == decoded == "„ä"
    assert all(pieces) and "\ufffd" not in "".join(pieces)  # no piece was half a character
    body = {"model": "quotes", "prompt": prompt, "max_tokens": 8, "temperature": 0}
    answer = httpx.post(f"{quotes_url}/v1/completions", json=body, timeout=60).json()
    assert answer["choices"][0]["text"] == streamed(quotes_url, body) == "„ä"


def test_a_model_that_wants_invalid_utf8_is_kept_to_whole_characters(wants_invalid: Path) -> None:
    backend = TransformersBackend(wants_invalid)
    cases = {b"y": "ä", b"z": "a", b"w": "€"}
    for start, expected in cases.items():
        prompt = [token(backend.tokenizer, start)]
        whole = backend.generate(prompt, COLD)
        joined = "".join(backend.stream(prompt, COLD))
        decoded = backend.tokenizer.decode(list(whole.token_ids), skip_special_tokens=True)
        assert whole.text == joined == decoded == expected, start
        # sampled, too: a token that breaks a character never has a chance; only an answer cut
        # by max_tokens may end in a character's first bytes (one U+FFFD, at its very end)
        for seed in range(5):
            params = SamplingParams(max_tokens=8, temperature=1.5, seed=seed)
            sampled = backend.generate(prompt, params)
            cut = sampled.finish_reason == "length" and sampled.text.endswith("\ufffd")
            assert "\ufffd" not in sampled.text[: -1 if cut else None], (start, seed)


def test_chat_logprobs_give_each_token_its_own_bytes(quotes_url: str) -> None:
    body = {
        "model": "quotes",
        "messages": [{"role": "user", "content": "Zitat?"}],
        "max_tokens": 8,
        "temperature": 0,
        "logprobs": True,
        "top_logprobs": 1,
    }
    answer = httpx.post(f"{quotes_url}/v1/chat/completions", json=body, timeout=60).json()
    choice = answer["choices"][0]
    content = choice["logprobs"]["content"]
    assert [entry["bytes"] for entry in content] == [[0xE2], [0x80], [0x9E], [0xC3], [0xA4]]
    joined = b"".join(bytes(entry["bytes"]) for entry in content)
    assert joined.decode("utf-8") == choice["message"]["content"] == "„ä"
    assert content[0]["top_logprobs"][0]["bytes"] == [0xE2]


def test_the_utf8_states_accept_exactly_what_utf8_allows() -> None:
    """Every sequence of up to two bytes and many of three and four: `after` goes on where some
    continuation bytes would complete the characters, ends between characters where the bytes
    decode whole, and refuses everything else (overlong forms and surrogates included)."""
    import random

    from gemeingut.serve.backends.utf8 import BOUNDARY, after

    def decodes(data: bytes) -> bool:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    # One continuation byte of each range a second byte may be restricted to.
    classes = (0x80, 0x90, 0xA0)
    tails = [bytes(t) for n in (1, 2, 3) for t in itertools.product(classes, repeat=n)]
    chance = random.Random(0)
    interesting = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2]
    interesting += [0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
    sequences = [bytes([a]) for a in range(256)]
    sequences += [bytes([a, b]) for a in range(256) for b in range(256)]
    sequences += [bytes(chance.choice(interesting) for _ in range(n)) for n in (3, 4) * 3000]
    for data in sequences:
        whole = decodes(data)
        prefix = whole or any(decodes(data + tail) for tail in tails)
        state = after(BOUNDARY, data)
        assert (state is not None) == prefix, data
        assert (state == BOUNDARY) == whole, data
