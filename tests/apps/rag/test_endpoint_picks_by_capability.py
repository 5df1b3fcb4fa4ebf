"""Without `--embed-model` a remote collection is embedded by the first model the endpoint
lists that makes embeddings, not simply the first (a server may list its language model
first); a `/models` answer that is not OpenAI's list is said in words, not a traceback."""

from __future__ import annotations

import pytest

from gemeingut.apps.rag.embedders import EndpointEmbedder
from gemeingut.errors import InputError
from tests.serve.embedding_endpoint import MODEL, embedding_endpoint


def test_the_first_model_that_embeds_is_taken() -> None:
    with embedding_endpoint() as engine:
        engine.models = {
            "object": "list",
            "data": [
                {"id": "schreiber", "object": "model", "capabilities": ["completion"]},
                {"id": MODEL, "object": "model", "capabilities": ["embedding"]},
            ],
        }
        embedder = EndpointEmbedder(engine.url, None, None)
        assert embedder.name == MODEL
        embedder.embed(["Antrag auf Wohngeld"])
    assert engine.texts == ["Antrag auf Wohngeld"]


@pytest.mark.parametrize(
    ("models", "said"),
    [
        ([{"id": MODEL}], "nennt kein Modell"),  # a list, not OpenAI's object
        ({"data": [{"id": "schreiber", "capabilities": ["completion"]}]}, "Einbettungen"),
    ],
)
def test_no_model_that_embeds_is_said_in_words(models: object, said: str) -> None:
    with embedding_endpoint() as engine:
        engine.models = models
        with pytest.raises(InputError) as refused:
            EndpointEmbedder(engine.url, None, None)
    assert said in str(refused.value)
    assert "--embed-model" in str(refused.value.hint)
