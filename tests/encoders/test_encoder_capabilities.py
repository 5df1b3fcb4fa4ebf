"""What each served model can be asked, on `/v1/models` (`capabilities`, from the engine that
runs it): an encoder beside a language model says it only embeds, the language model that it
also writes. And an encoder in this process lends its tokenizer on `/tokenize`,
`/detokenize` and `/tokenizer_info`, counting the tokens its embeddings count. The official
client and httpx against a real server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from tokenizers import Tokenizer
from transformers import AutoTokenizer

from gemeingut.model.encoder_layout import encoder_layout
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.backends.encoder import EncoderBackend
from gemeingut.serve.served import ModelEntry
from tests.encoders.tiny_encoders import make_model2vec, make_sentence_bert
from tests.http_server import running_server
from tests.serve.conftest import model_dir as model_dir  # a fixture: the tiny Llama

TEXT = "Das Amt prüft die Frist."


@pytest.fixture(scope="module")
def encoders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("encoders")
    return {"bert": make_sentence_bert(folder / "bert"), "potion": make_model2vec(folder / "p")}


@pytest.fixture(scope="module")
def url(encoders: dict[str, Path], model_dir: Path) -> Iterator[str]:
    bert = EncoderBackend(encoder_layout(encoders["bert"]), "bert")
    also = (
        ModelEntry(TransformersBackend(model_dir, model_name="llm")),
        ModelEntry(EncoderBackend(encoder_layout(encoders["potion"]), "potion")),
    )
    with running_server(create_app(bert, also=also)) as served:
        yield served


def test_models_say_what_each_can_be_asked(url: str) -> None:
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    listed = {model.id: model.model_extra["capabilities"] for model in client.models.list()}
    assert listed == {
        "bert": ["embedding"],
        "llm": ["completion", "chat", "embedding"],
        "potion": ["embedding"],
    }
    assert client.models.retrieve("bert").model_extra["capabilities"] == ["embedding"]


def test_an_encoder_lends_its_tokenizer(url: str, encoders: dict[str, Path]) -> None:
    tokenizer = AutoTokenizer.from_pretrained(encoders["bert"])
    own = tokenizer(TEXT)["input_ids"]  # with CLS and SEP
    counted = httpx.post(f"{url}/tokenize", json={"model": "bert", "prompt": TEXT}, timeout=30)
    assert counted.status_code == 200, counted.text
    assert counted.json() == {"count": len(own), "max_model_len": 24, "tokens": own}
    embedded = httpx.post(f"{url}/v1/embeddings", json={"model": "bert", "input": TEXT}, timeout=30)
    assert embedded.json()["usage"]["prompt_tokens"] == len(own)  # the count an embedding counts
    back = httpx.post(f"{url}/detokenize", json={"model": "bert", "tokens": own}, timeout=30)
    assert back.status_code == 200 and back.json()["prompt"] == tokenizer.decode(own)
    info = httpx.get(f"{url}/tokenizer_info", params={"model": "bert"}, timeout=30).json()
    assert info["model_max_length"] == 24 and info["chat_template"] is None
    assert info["vocab_size"] == len(tokenizer)


def test_a_static_table_counts_no_special_tokens(url: str, encoders: dict[str, Path]) -> None:
    own = Tokenizer.from_file(str(encoders["potion"] / "tokenizer.json")).encode(TEXT).ids
    counted = httpx.post(f"{url}/tokenize", json={"model": "potion", "prompt": TEXT}, timeout=30)
    assert counted.status_code == 200, counted.text
    assert counted.json()["tokens"] == own
    info = httpx.get(f"{url}/tokenizer_info", params={"model": "potion"}, timeout=30).json()
    assert info["unk_token"] == "[UNK]"  # the token model2vec leaves out of a text's mean


def test_an_encoders_tokenizer_refuses_what_it_cannot_do(url: str) -> None:
    chat = httpx.post(
        f"{url}/tokenize",
        json={"model": "bert", "messages": [{"role": "user", "content": TEXT}]},
        timeout=30,
    )
    assert chat.status_code == 400 and chat.json()["error"]["code"] == "model_only_embeds"
    assert "nur Embeddings" in chat.json()["error"]["message"]
    outside = httpx.post(f"{url}/detokenize", json={"model": "bert", "tokens": [10**6]}, timeout=30)
    assert outside.status_code == 400 and "1000000" in outside.json()["error"]["message"]
