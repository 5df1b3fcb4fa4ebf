"""A token that holds only part of a character is named by its bytes, never U+FFFD.

The model is a bigram model made by hand (`test_no_replacement_characters`) on a byte-level
tokenizer trained here, which writes „ as the tokens E2 80 and 9E and ä as C3 and A4. After
"x" it wants E2 80, with E2 82 (the start of €) as the runner-up: two tokens that both decode
to U+FFFD alone. Legacy completions must name them apart, the same in `tokens` and as keys of
`top_logprobs` (`bytes:\\xe2\\x80`, as OpenAI's), with offsets at the character each belongs to;
chat names them as OpenAI's chat does (`\\xe2\\x80`, with its `bytes`); the logit lens as the
completions do; and lm-evaluation-harness scores a continuation of split characters through
the server as the model's own log-probabilities.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import torch

from gemeingut.model.tokenizer import EOS, train_tokenizer
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from tests.serve.test_no_replacement_characters import SENTENCES, STRONG, WEAK, Serve, bigram_model

QUOTE_START, EURO_START = b"\xe2\x80", b"\xe2\x82"  # „ is E2 80 9E, € is E2 82 AC


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tokenizer_dir = tmp_path_factory.mktemp("byte-tokenizer")
    train_tokenizer(SENTENCES, tokenizer_dir, vocab_size=300)
    chain: list[bytes | str] = [b"x", QUOTE_START, b"\x9e", b"\xc3", b"\xa4", EOS]
    follows: dict[bytes | str, dict[bytes | str, float]] = {
        a: {b: STRONG} for a, b in itertools.pairwise(chain)
    }
    follows[b"x"][EURO_START] = WEAK
    follows[b"\n"] = dict(follows[b"x"])  # a chat's answer begins after the template's "\n"
    return bigram_model(tokenizer_dir, tmp_path_factory.mktemp("split"), follows)


@pytest.fixture(scope="module")
def backend(model_dir: Path) -> TransformersBackend:
    return TransformersBackend(model_dir, model_name="split")


@pytest.fixture(scope="module")
def url(backend: TransformersBackend, serve: Serve) -> Iterator[str]:
    with serve(create_app(backend)) as served:
        yield served


def escaped(data: bytes, prefix: str = "bytes:") -> str:
    return prefix + "".join(f"\\x{b:02x}" for b in data)


def test_the_tokenizer_splits_the_characters(backend: TransformersBackend) -> None:
    """The premise: „ and ä come as tokens that decode to U+FFFD alone."""
    ids = backend.tokenize("x„ä", add_special_tokens=False)
    assert backend.token_bytes(ids) == [b"x", QUOTE_START, b"\x9e", b"\xc3", b"\xa4"]
    assert backend.token_strings(ids)[1:] == ["\ufffd"] * 4


def test_legacy_completions_name_partial_tokens_by_their_bytes(url: str) -> None:
    body = {"model": "split", "prompt": "x„ä", "max_tokens": 1, "echo": True, "logprobs": 2}
    answer = httpx.post(f"{url}/v1/completions", json=body | {"temperature": 0}, timeout=60)
    assert answer.status_code == 200, answer.text
    choice = answer.json()["choices"][0]
    logprobs = choice["logprobs"]
    tokens = logprobs["tokens"]
    named = [escaped(QUOTE_START), escaped(b"\x9e"), escaped(b"\xc3"), escaped(b"\xa4")]
    assert tokens[-6:] == ["x", *named, "</s>"]
    assert not any("\ufffd" in t for t in tokens)
    # the runner-up after "x" is a different part of a character, and listed apart from it
    after_x = logprobs["top_logprobs"][-5]
    assert list(after_x) == [escaped(QUOTE_START), escaped(EURO_START)]
    # as an older lm-eval and other scorers check greediness: the likeliest key is the token
    for token, top in zip(tokens[-5:], logprobs["top_logprobs"][-5:], strict=True):
        assert max(top, key=top.__getitem__) == token
    # the bytes come back whole: joined, they are the text
    text = choice["text"]
    assert text == "x„ä"
    joined = b"".join(
        bytes.fromhex(t[6:].replace("\\x", "")) if t.startswith("bytes:") else t.encode()
        for t in tokens[-6:-1]
    )
    assert joined.decode() == text
    # each token starts at its character: all of „'s bytes at „, all of ä's at ä
    offsets = logprobs["text_offset"][-6:]
    assert [text[o] if o < len(text) else "" for o in offsets] == ["x", "„", "„", "ä", "ä", ""]


def test_chat_names_parts_as_openai_chat_does_and_token_ids_stay_ids(url: str) -> None:
    chat = {
        "model": "split",
        "messages": [{"role": "user", "content": "x"}],
        "max_tokens": 2,
        "temperature": 0,
        "logprobs": True,
        "top_logprobs": 2,
    }
    answer = httpx.post(f"{url}/v1/chat/completions", json=chat, timeout=60).json()
    choice = answer["choices"][0]
    assert choice["message"]["content"] == "„"
    content = choice["logprobs"]["content"]
    assert [(t["token"], t["bytes"]) for t in content] == [
        (escaped(QUOTE_START, ""), [0xE2, 0x80]),
        (escaped(b"\x9e", ""), [0x9E]),
    ]
    alternatives = [(t["token"], t["bytes"]) for t in content[0]["top_logprobs"]]
    assert alternatives == [
        (escaped(QUOTE_START, ""), [0xE2, 0x80]),
        (escaped(EURO_START, ""), [0xE2, 0x82]),
    ]
    body = {"model": "split", "prompt": "x", "max_tokens": 2, "logprobs": 2, "temperature": 0}
    ids = httpx.post(f"{url}/v1/completions", json=body | {"return_tokens_as_token_ids": True})
    assert all(t.startswith("token_id:") for t in ids.json()["choices"][0]["logprobs"]["tokens"])


def test_the_lens_names_tokens_as_the_completions_do(url: str) -> None:
    lens = httpx.post(f"{url}/v1/lens", json={"prompt": "x„", "top": 2}, timeout=60)
    assert lens.status_code == 200, lens.text
    body = lens.json()
    assert body["tokens"][-3:] == ["x", escaped(QUOTE_START), escaped(b"\x9e")]
    after_x = httpx.post(f"{url}/v1/lens", json={"prompt": "x", "top": 2}, timeout=60).json()
    names = [t["token"] for t in after_x["layers"][-1]["top"]]
    assert names == [escaped(QUOTE_START), escaped(EURO_START)]


def test_lm_eval_scores_a_continuation_of_split_characters(
    url: str, backend: TransformersBackend
) -> None:
    """lm-eval's `local-completions`, tokenizing through the server: the log-likelihood of
    „ä after "x" is the model's own, greedy; € after "x" is not greedy."""
    from lm_eval.api.instance import Instance
    from lm_eval.models.openai_completions import LocalCompletionsAPI

    scorer = LocalCompletionsAPI(
        base_url=f"{url}/v1/completions", model="split", tokenizer_backend="remote", max_retries=1
    )
    asked = [("x", "„ä"), ("x", "€")]
    requests = [
        Instance(request_type="loglikelihood", doc={}, arguments=pair, idx=i)
        for i, pair in enumerate(asked)
    ]
    scored = scorer.loglikelihood(requests, disable_tqdm=True)
    context = backend.tokenize("x")
    for (logprob, greedy), (_context, continuation) in zip(scored, asked, strict=True):
        whole = context + backend.tokenize(continuation, add_special_tokens=False)
        assert math.isclose(logprob, own_logprob(backend, whole, len(context)), rel_tol=1e-4)
        assert greedy is (continuation == "„ä")


def own_logprob(backend: TransformersBackend, ids: list[int], start: int) -> float:
    """The model's log-probability of `ids[start:]` after `ids[:start]`, from its weights."""
    with torch.no_grad():
        logits = backend.model(torch.tensor([ids])).logits[0].float()
    scores = torch.log_softmax(logits, dim=-1)
    return sum(float(scores[i - 1, ids[i]]) for i in range(start, len(ids)))
