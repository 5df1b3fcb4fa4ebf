"""An encoder's context counts as `/tokenize` counts: `/v1/models`' `max_model_len` includes
the model's own tokens (CLS, SEP) as `/tokenize`'s count and the usage of `/v1/embeddings` do,
so a text whose count is `max_model_len` is embedded and one token more is refused with a
message counting the same way; in front of it, a gateway (`--upstream`) counts alike. Retrieval
still cuts a longer text to what fits. A real server on loopback with a tiny BERT."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from gemeingut.apps.rag.embedders import LocalEmbedder
from gemeingut.model.encoder_layout import encoder_layout
from gemeingut.serve.app import create_app
from gemeingut.serve.backends.encoder import EncoderBackend
from tests.encoders.tiny_encoders import make_sentence_bert
from tests.http_server import running_server


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> EncoderBackend:
    folder = make_sentence_bert(tmp_path_factory.mktemp("encoders") / "bert")
    return EncoderBackend(encoder_layout(folder), "bert")


@pytest.fixture(scope="module")
def url(backend: EncoderBackend) -> Iterator[str]:
    with running_server(create_app(backend)) as served:
        yield served


def _count(url: str, text: str) -> dict:
    answer = httpx.post(f"{url}/tokenize", json={"model": "bert", "prompt": text}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_text_that_fills_max_model_len_is_embedded_and_one_more_token_refused(url: str) -> None:
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    limit = client.models.retrieve("bert").model_extra["max_model_len"]
    assert limit == 24  # the folder's max_seq_length, CLS and SEP included
    framing = _count(url, "amt")["count"] - 1  # one word is one token
    fills = " ".join(["amt"] * (limit - framing))
    counted = _count(url, fills)
    assert counted["count"] == limit == counted["max_model_len"]
    answer = client.embeddings.create(model="bert", input=fills)
    assert answer.usage.prompt_tokens == limit
    with pytest.raises(openai.BadRequestError) as refused:
        client.embeddings.create(model="bert", input=fills + " amt")
    assert refused.value.code == "context_length_exceeded"
    assert f"{limit} Tokens" in refused.value.message and f"{limit + 1}" in refused.value.message
    info = httpx.get(f"{url}/tokenizer_info", params={"model": "bert"}, timeout=30).json()
    assert info["model_max_length"] == limit


def test_retrieval_cuts_a_longer_text_to_what_fits(backend: EncoderBackend) -> None:
    embedder = LocalEmbedder(backend, "bert")
    long = " ".join(["amt"] * 40)
    rows = embedder.token_rows([long])
    assert len(rows[0]) == backend.context_length - 2  # CLS and SEP are added to them
    vectors, tokens = embedder.embed_counted([long])
    assert vectors.shape[0] == 1 and tokens == backend.context_length
