"""Scorable endpoints: prompt log-probabilities, token-id and batched prompts, several choices,
chat logprobs and the tokenizer routes, checked against the model itself."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
import torch
from openai import OpenAI
from transformers import AutoTokenizer, LlamaForCausalLM

from gemeingut.serve.backends import SamplingParams, TransformersBackend

MODEL_NAME = "tiny-llama"
TEXTS = ["Die Katze sieht den Garten.", "Der Bäcker malt das Brot am Morgen. Das Kind sucht"]


@pytest.fixture(scope="module")
def http(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def tokenizer(model_dir: Path):  # type: ignore[no-untyped-def]
    return AutoTokenizer.from_pretrained(str(model_dir))


@pytest.fixture(scope="module")
def reference(model_dir: Path) -> LlamaForCausalLM:
    return LlamaForCausalLM.from_pretrained(str(model_dir)).eval()


def expected_logprobs(model: LlamaForCausalLM, ids: list[int]) -> list[float]:
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].float()
    logprobs = torch.log_softmax(logits, dim=-1)
    return [float(logprobs[i, ids[i + 1]]) for i in range(len(ids) - 1)]


def complete(http: httpx.Client, **body: object) -> dict:
    response = http.post("/v1/completions", json={"model": MODEL_NAME, **body})
    assert response.status_code == 200, response.text
    return response.json()


def test_echoed_prompt_logprobs_equal_the_models_own(
    http: httpx.Client, tokenizer, reference: LlamaForCausalLM
) -> None:
    ids = tokenizer(TEXTS[1])["input_ids"]
    [choice] = complete(http, prompt=ids, echo=True, logprobs=0, max_tokens=0)["choices"]
    lp = choice["logprobs"]
    assert lp["token_logprobs"][0] is None and lp["top_logprobs"][0] is None
    assert lp["token_logprobs"][1:] == pytest.approx(expected_logprobs(reference, ids), abs=1e-5)
    assert choice["text"] == TEXTS[1]
    assert "".join(lp["tokens"]) == choice["text"]
    offsets = [*lp["text_offset"], len(choice["text"])]
    assert [choice["text"][a:b] for a, b in itertools.pairwise(offsets)] == lp["tokens"]


def test_one_scored_token_is_appended_as_lm_eval_asks(
    http: httpx.Client, tokenizer, reference: LlamaForCausalLM
) -> None:
    """lm-eval sends max_tokens 1 and sums token_logprobs[ctxlen:-1]; the last is generated."""
    ids = tokenizer(TEXTS[0])["input_ids"]
    body = {"prompt": ids, "echo": True, "logprobs": 1, "max_tokens": 1, "temperature": 0}
    [choice] = complete(http, **body)["choices"]
    lp = choice["logprobs"]
    assert len(lp["tokens"]) == len(ids) + 1
    for value, top in zip(lp["token_logprobs"][1:], lp["top_logprobs"][1:], strict=True):
        assert value in top.values() and max(top.values()) >= value
        assert len(top) <= 2  # the likeliest, plus the chosen one when it is another
    greedy = lp["top_logprobs"][-1]
    assert lp["token_logprobs"][-1] == max(greedy.values())  # temperature 0 picked the top


def test_batched_prompts_of_different_lengths_score_as_one_by_one(
    http: httpx.Client, tokenizer, reference: LlamaForCausalLM
) -> None:
    batch = [tokenizer(t)["input_ids"] for t in TEXTS]
    choices = complete(http, prompt=batch, echo=True, logprobs=0, max_tokens=0)["choices"]
    assert [c["index"] for c in choices] == [0, 1]
    for ids, choice in zip(batch, choices, strict=True):
        got = choice["logprobs"]["token_logprobs"][1:]
        assert got == pytest.approx(expected_logprobs(reference, ids), abs=1e-5)


def test_batched_generation_equals_single_requests(http: httpx.Client) -> None:
    single = [
        complete(http, prompt=t, max_tokens=12, temperature=0)["choices"][0]["text"] for t in TEXTS
    ]
    batched = complete(http, prompt=TEXTS, max_tokens=12, temperature=0)
    assert [c["text"] for c in batched["choices"]] == single


def test_several_choices_per_prompt_come_prompt_major_with_usage_counting_prompts_once(
    http: httpx.Client, tokenizer
) -> None:
    answer = complete(http, prompt=TEXTS, n=2, max_tokens=6, seed=11, temperature=1.0)
    assert [c["index"] for c in answer["choices"]] == [0, 1, 2, 3]
    first = complete(http, prompt=TEXTS[0], max_tokens=6, seed=11, temperature=1.0)
    assert answer["choices"][0]["text"] == first["choices"][0]["text"]
    prompt_tokens = sum(len(tokenizer(t)["input_ids"]) for t in TEXTS)
    assert answer["usage"]["prompt_tokens"] == prompt_tokens
    assert answer["usage"]["completion_tokens"] == 4 * 6


def test_generated_token_logprobs_match_the_text(http: httpx.Client) -> None:
    [choice] = complete(http, prompt=TEXTS[0], max_tokens=8, temperature=0, logprobs=3)["choices"]
    lp = choice["logprobs"]
    assert "".join(lp["tokens"]) == choice["text"]
    assert lp["text_offset"][0] == 0
    pairs = zip(lp["token_logprobs"], lp["top_logprobs"], strict=True)
    assert all(value == max(top.values()) for value, top in pairs)


@pytest.fixture(scope="module")
def client(server_url: str) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{server_url}/v1", api_key="unused", max_retries=0, timeout=60) as c:
        yield c


def test_chat_logprobs_through_the_openai_client(client: OpenAI) -> None:
    answer = client.chat.completions.create(
        model=MODEL_NAME,
        messages=[{"role": "user", "content": "Hallo"}],
        max_tokens=5,
        temperature=0,
        logprobs=True,
        top_logprobs=2,
        n=2,
    )
    assert len(answer.choices) == 2
    assert answer.choices[0].message.content == answer.choices[1].message.content  # greedy
    content = answer.choices[0].logprobs.content
    joined = b"".join(bytes(t.bytes) for t in content)  # the tokens' own bytes make the answer
    assert joined.decode("utf-8", "replace") == answer.choices[0].message.content
    for token in content:
        assert len(token.top_logprobs) == 2
        assert token.logprob == token.top_logprobs[0].logprob
        if bytes(token.bytes) != token.token.encode():  # part of a character, as OpenAI's
            assert token.token == "".join(f"\\x{b:02x}" for b in token.bytes)


def test_a_model_is_retrieved_by_its_id(client: OpenAI) -> None:
    assert client.models.retrieve(MODEL_NAME).id == MODEL_NAME
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_tokenizer_routes_round_trip_like_vllms(http: httpx.Client, tokenizer) -> None:
    info = http.get("/tokenizer_info").json()
    assert info["eos_token"] == "</s>" and info["bos_token"] == "<s>"
    assert info["chat_template"] == tokenizer.chat_template
    assert info["model_max_length"] == 256
    tokens = http.post("/tokenize", json={"prompt": TEXTS[1], "add_special_tokens": False}).json()
    assert tokens["tokens"] == tokenizer(TEXTS[1], add_special_tokens=False)["input_ids"]
    assert tokens["count"] == len(tokens["tokens"])
    text = http.post("/detokenize", json={"tokens": tokens["tokens"]}).json()["prompt"]
    assert text == TEXTS[1]
    eos = http.post("/tokenize", json={"prompt": "</s>", "add_special_tokens": False}).json()
    assert eos["tokens"] == [tokenizer.eos_token_id]
    chat = [{"role": "user", "content": "Hallo"}]
    templated = http.post("/tokenize", json={"messages": chat}).json()["tokens"]
    rendered = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
    assert templated == tokenizer(rendered)["input_ids"]
    bad = http.post("/detokenize", json={"tokens": [10**6]})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "tokens"
    asked = {"model": "tiny-llama", "prompt": [5, -1], "max_tokens": 1}
    outside = http.post("/v1/completions", json=asked).json()["error"]
    assert outside["param"] == "prompt"
    assert "-1 liegt außerhalb des Vokabulars" in outside["message"]


def test_generation_raises_no_deprecation_warnings(backend: TransformersBackend) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backend.generate(TEXTS[0], SamplingParams(max_tokens=4, temperature=0))


def test_a_stop_token_keeps_its_logprob_so_scorers_see_every_generated_token(
    model_dir: Path,
) -> None:
    backend = TransformersBackend(model_dir)
    ids = backend.encode_prompt(TEXTS[0])
    greedy = SamplingParams(max_tokens=1, temperature=0, logprobs=0, prompt_logprobs=0)
    first = backend.generate(ids, greedy).token_ids[0]
    backend.stop_token_ids = frozenset({first})
    result = backend.generate(ids, greedy)
    assert result.text == "" and result.stop_token and result.token_ids == (first,)
    assert result.prompt_logprobs is not None and result.logprobs is not None
    assert len(result.prompt_logprobs) + len(result.logprobs) == len(ids) + 1


def test_generated_token_ids_come_back_when_asked_for(http: httpx.Client, tokenizer) -> None:
    [choice] = complete(
        http,
        prompt=TEXTS[0],
        max_tokens=6,
        temperature=0,
        logprobs=0,
        return_tokens_as_token_ids=True,
    )["choices"]
    ids = [int(t.removeprefix("token_id:")) for t in choice["logprobs"]["tokens"]]
    assert tokenizer.decode(ids, skip_special_tokens=True) == choice["text"]


def test_a_stop_string_cuts_the_logprobs_with_the_text(http: httpx.Client) -> None:
    full = complete(http, prompt=TEXTS[0], max_tokens=12, temperature=0)["choices"][0]["text"]
    stop = full[len(full) // 2 : len(full) // 2 + 2]
    [choice] = complete(
        http, prompt=TEXTS[0], max_tokens=12, temperature=0, logprobs=0, stop=[stop]
    )["choices"]
    assert choice["text"] == full[: full.index(stop)]
    assert all(offset < max(len(choice["text"]), 1) for offset in choice["logprobs"]["text_offset"])


@pytest.mark.parametrize(
    ("body", "status"),
    [({"seed": 2**63}, 400), ({"seed": -5}, 200), ({"top_p": 0, "temperature": 1}, 200)],
)
def test_edge_values_of_sampling_fields(http: httpx.Client, body: dict, status: int) -> None:
    response = http.post(
        "/v1/completions", json={"model": MODEL_NAME, "prompt": "Die", "max_tokens": 2, **body}
    )
    assert response.status_code == status, response.text


def test_tokenize_messages_without_the_generation_prompt(http: httpx.Client) -> None:
    chat = [{"role": "user", "content": "Hallo"}]
    opened = http.post("/tokenize", json={"messages": chat}).json()["tokens"]
    closed = http.post("/tokenize", json={"messages": chat, "add_generation_prompt": False}).json()[
        "tokens"
    ]
    assert len(closed) < len(opened) and opened[: len(closed)] == closed
