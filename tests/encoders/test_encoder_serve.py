"""`gemeingut serve` of an encoder folder (sentence-transformers layout) and, beside it, a
model2vec folder: `/v1/embeddings` through the official client gives the vectors
sentence-transformers and model2vec give; a chat or completion asked of them is a 400 that
says the model only makes embeddings, in German unless the client asks for English; a
collection whose vectors the served encoder made is searched with the question embedded by
it after the model's query prompt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest

from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import open_collection
from gemeingut.apps.rag.ingest import ingest
from tests.encoders.tiny_encoders import (
    make_model2vec,
    make_sentence_bert,
    model2vec_vectors,
    sentence_bert_vectors,
)
from tests.http_server import serving_process

TEXTS = ["Der Bürger stellt den Antrag heute.", "query: Wer prüft die Frist?", "Das Amt"]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("encoders")
    return {
        "bert": make_sentence_bert(folder / "bert", pooling="mean_tokens", normalize=False),
        "potion": make_model2vec(folder / "potion"),
    }


@pytest.fixture(scope="module")
def collections(models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    docs = tmp_path_factory.mktemp("docs")
    (docs / "antrag.txt").write_text("Der Bürger stellt den Antrag heute.", encoding="utf-8")
    (docs / "frist.txt").write_text("Das Amt prüft die Frist für den Bescheid.", encoding="utf-8")
    root = tmp_path_factory.mktemp("collections")
    ingest(root, "amt", [docs], embed=EmbedderSpec(str(models["bert"])))
    return root


@pytest.fixture(scope="module")
def server(models: dict[str, Path], collections: Path) -> Iterator[str]:
    also = f"potion={models['potion']}"
    extra = ("--also", also, "--collections", str(collections))
    with serving_process(str(models["bert"]), "bert", *extra) as url:
        yield url


@pytest.fixture(scope="module")
def client(server: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server}/v1", api_key="unused", max_retries=0)


def test_an_encoder_serves_the_vectors_of_its_pooling(
    client: openai.OpenAI, models: dict[str, Path]
) -> None:
    answer = client.embeddings.create(model="bert", input=TEXTS)
    vectors = np.array([d.embedding for d in answer.data])
    np.testing.assert_allclose(vectors, sentence_bert_vectors(models["bert"], TEXTS), atol=1e-5)
    assert answer.usage.prompt_tokens > 3 * 2  # each text with the model's CLS and SEP
    too_long = " ".join(["Antrag"] * 40)  # more than the model's 24 tokens
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="bert", input=too_long)


def test_a_model2vec_folder_serves_its_static_vectors(
    client: openai.OpenAI, models: dict[str, Path]
) -> None:
    answer = client.embeddings.create(model="potion", input=TEXTS)
    vectors = np.array([d.embedding for d in answer.data])
    np.testing.assert_allclose(vectors, model2vec_vectors(models["potion"], TEXTS), atol=1e-5)


@pytest.mark.parametrize("model", ["bert", "potion"])
def test_chats_and_completions_of_an_encoder_are_a_400_that_says_why(
    client: openai.OpenAI, model: str
) -> None:
    with pytest.raises(openai.BadRequestError) as chat:
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hallo"}])
    assert "nur Embeddings" in chat.value.message and chat.value.code == "model_only_embeds"
    with pytest.raises(openai.BadRequestError) as completion:
        client.completions.create(model=model, prompt="Hallo", max_tokens=4)
    assert completion.value.code == "model_only_embeds"
    english = client.with_options(default_headers={"Accept-Language": "en"})
    with pytest.raises(openai.BadRequestError) as streamed:
        english.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Hi"}], stream=True
        )
    assert "only makes embeddings" in streamed.value.message


def test_a_dense_search_embeds_the_question_with_the_query_prompt(
    server: str, models: dict[str, Path], collections: Path
) -> None:
    question = "Wer prüft die Frist?"
    answer = httpx.post(
        f"{server}/v1/collections/amt/search",
        json={"query": question, "k": 2, "mode": "dense"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    collection = open_collection(collections, "amt")
    asked = sentence_bert_vectors(models["bert"], [question], prompt="query: ")[0]
    asked /= np.linalg.norm(asked)
    by_id = {chunk.id: row for row, chunk in enumerate(collection.chunks)}
    for hit in answer.json()["data"]:
        expected = float(np.asarray(collection.vectors)[by_id[hit["id"]]] @ asked)
        assert hit["score"] == pytest.approx(expected, abs=1e-5)
