"""`POST /v1/lens`: one reading per layer, probabilities in order, and the last layer's reading
is the model's own next-token distribution (the one /v1/completions reports)."""

from __future__ import annotations

import math

import httpx

from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.logprobs import token_names
from tests.serve.conftest import MODEL_NAME

PROMPT = "Die Katze sieht"


def test_each_layer_reads_out_and_the_last_is_the_models_answer(
    server_url: str, backend: TransformersBackend
) -> None:
    lens = httpx.post(f"{server_url}/v1/lens", json={"prompt": PROMPT, "top": 5}, timeout=60)
    assert lens.status_code == 200, lens.text
    body = lens.json()
    assert len(body["layers"]) == backend.model.config.num_hidden_layers
    assert [layer["layer"] for layer in body["layers"]] == [1, 2]
    assert body["tokens"] == token_names(backend, backend.tokenize(PROMPT))
    for layer in body["layers"]:
        shares = [t["probability"] for t in layer["top"]]
        assert shares == sorted(shares, reverse=True) and 0 < sum(shares) <= 1 + 1e-6
    completion = httpx.post(
        f"{server_url}/v1/completions",
        json={
            "model": MODEL_NAME,
            "prompt": PROMPT,
            "max_tokens": 1,
            "logprobs": 5,
            "temperature": 0,
        },
        timeout=60,
    ).json()
    top = completion["choices"][0]["logprobs"]["top_logprobs"][0]
    best_token, best_logprob = max(top.items(), key=lambda item: item[1])
    last = body["layers"][-1]["top"][0]
    assert last["token"] == best_token
    assert math.isclose(last["probability"], math.exp(best_logprob), rel_tol=1e-4)
    assert body["usage"]["prompt_tokens"] == len(body["tokens"])


def test_bad_requests_are_400_in_the_clients_language(server_url: str) -> None:
    empty = httpx.post(f"{server_url}/v1/lens", json={"prompt": ""}, timeout=30)
    assert empty.status_code == 400
    other = httpx.post(f"{server_url}/v1/lens", json={"prompt": "x", "model": "gpt-4o"}, timeout=30)
    assert other.status_code == 404 and "gibt es nicht" in other.json()["error"]["message"]
