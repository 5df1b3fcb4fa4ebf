"""A model behind `serve --upstream` is listed with what its engine says it can do: a second
`gemeingut serve` process (an encoder beside a language model) says it on its `/v1/models`,
Ollama on `/api/show` (a stand-in on loopback); an engine that says nothing (as vLLM), whose
`/api/show` fails, or that is not Ollama (llama-server's `/api/show` says `completion` of every
model) is listed with both, and the server starts. The gateway also relays the encoder's
prompts and its context, counted as `/tokenize` counts (a text that fills it passes it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from tests.encoders.tiny_encoders import make_sentence_bert
from tests.http_server import running_server, serving_process
from tests.serve.conftest import model_dir as model_dir  # a fixture: the tiny Llama
from tests.serve.embedding_endpoint import MODEL, embedding_endpoint


@pytest.fixture(scope="module")
def engine(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`gemeingut serve` of an E5-like encoder and, beside it, the tiny Llama."""
    e5 = make_sentence_bert(tmp_path_factory.mktemp("encoders") / "e5")
    with serving_process(str(e5), "e5", "--also", f"llm={model_dir}") as url:
        yield url


def _listed(backend: UpstreamBackend) -> dict:
    with running_server(create_app(backend)) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        return client.models.retrieve(backend.model_name).model_extra


def test_a_gemeingut_engine_says_what_each_model_can_do(engine: str) -> None:
    assert _listed(UpstreamBackend(engine, "llm", "llm"))["capabilities"] == [
        "completion",
        "chat",
        "embedding",
    ]
    encoder = _listed(UpstreamBackend(engine, "amt-e5", "e5"))
    assert encoder["capabilities"] == ["embedding"]
    assert encoder["prompts"] == {"query": "query: ", "document": "passage: "}
    assert encoder["max_model_len"] == 24  # the engine's, CLS and SEP included


def test_a_text_that_fills_the_context_passes_the_gateway(engine: str) -> None:
    with running_server(create_app(UpstreamBackend(engine, "amt-e5", "e5"))) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        limit = client.models.retrieve("amt-e5").model_extra["max_model_len"]
        fills = " ".join(["amt"] * (limit - 2))  # one token a word, and CLS and SEP
        count = httpx.post(f"{url}/tokenize", json={"model": "amt-e5", "prompt": fills}, timeout=30)
        assert count.json()["count"] == limit
        assert client.embeddings.create(model="amt-e5", input=fills).usage.prompt_tokens == limit
        with pytest.raises(openai.BadRequestError) as refused:
            client.embeddings.create(model="amt-e5", input=fills + " amt")
        assert refused.value.code == "context_length_exceeded"


LLAMA_SERVER_SHOW = {"model_info": {"llama.context_length": 512}, "capabilities": ["completion"]}


@pytest.mark.parametrize(
    ("show", "ollama", "listed"),
    [
        ((200, {"capabilities": ["embedding"]}), True, ["embedding"]),
        ((200, {"capabilities": ["completion", "tools", "vision"]}), True, ["completion", "chat"]),
        (None, False, ["completion", "chat", "embedding"]),  # no /api/show (as vLLM): as before
        # llama-server's /api/show says `completion` also of the embedding model it serves
        ((200, LLAMA_SERVER_SHOW), False, ["completion", "chat", "embedding"]),
        ((500, {"error": "model not found"}), True, ["completion", "chat", "embedding"]),
        ((200, "<html>Ollama</html>"), True, ["completion", "chat", "embedding"]),
    ],
)
def test_ollamas_words_are_taken_and_silence_lists_both(
    show: tuple[int, object] | None, ollama: bool, listed: list[str]
) -> None:
    with embedding_endpoint() as engine:
        engine.show, engine.ollama = show, ollama
        card = _listed(UpstreamBackend(engine.url, "fern", MODEL))
    assert card["capabilities"] == listed
    assert card["prompts"] is None  # it does not say: not known


def test_a_model_its_engine_says_only_embeds_writes_nothing_through_the_gateway() -> None:
    """Its chats and completions are refused by the gateway itself (the stand-in engine would
    answer them with a 404 of its own): the same test, `writes`, that picks the model for
    drafts and document answers."""
    with embedding_endpoint() as engine:
        engine.show, engine.ollama = (200, {"capabilities": ["embedding"]}), True
        with running_server(create_app(UpstreamBackend(engine.url, "fern", MODEL))) as url:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
            with pytest.raises(openai.BadRequestError) as chat:
                client.chat.completions.create(
                    model="fern", messages=[{"role": "user", "content": "Hallo"}]
                )
            with pytest.raises(openai.BadRequestError) as completion:
                client.completions.create(model="fern", prompt="Hallo", max_tokens=2)
    assert chat.value.code == completion.value.code == "model_only_embeds"
