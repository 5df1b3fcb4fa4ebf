"""`rag ingest/query --embed http://…/v1` through a server that names its model's prompts on
`/v1/models` (`gemeingut serve` of an E5-like encoder folder: "query: ", "passage: "): chunks
are embedded after the document prompt, the question after the query prompt, as with the folder
itself, and the collection records the prompts; one whose vectors were made through it without
them (before the server named them) is embedded again. An endpoint that names none (an engine
like vLLM) gets none, and the collection records that it said none; one whose `/v1/models` is
not OpenAI's list gets none either. Real HTTP on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from gemeingut.apps.rag.collection import open_collection
from gemeingut.apps.rag.prompted import TOLD
from gemeingut.apps.rag.retrieve import search
from gemeingut.apps.rag.storage import COLLECTION_FILE, VECTORS
from gemeingut.model.encoder_layout import encoder_layout
from gemeingut.serve.app import create_app
from gemeingut.serve.backends.encoder import EncoderBackend
from gemeingut.serve.served import ModelEntry
from tests.encoders.tiny_encoders import make_model2vec, make_sentence_bert, sentence_bert_vectors
from tests.http_server import running_server
from tests.serve.embedding_endpoint import MODEL, embedding_endpoint
from tests.test_cli import invoke

DOCUMENTS = {
    "antrag.txt": "Der Bürger stellt den Antrag heute beim Amt.",
    "frist.txt": "Die Frist für den Bescheid wird vom Amt geprüft.",
}
QUESTION = "Wer prüft die Frist?"
E5_PROMPTS = {"query": "query: ", "document": "passage: "}


@pytest.fixture(scope="module")
def e5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sentence_bert(tmp_path_factory.mktemp("encoders") / "e5-winzig")


@pytest.fixture(scope="module")
def url(e5: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    potion = make_model2vec(tmp_path_factory.mktemp("static") / "potion")
    also = (ModelEntry(EncoderBackend(encoder_layout(potion), "potion")),)
    with running_server(create_app(EncoderBackend(encoder_layout(e5), "e5"), also=also)) as served:
        yield served


def _ingested(tmp_path: Path, endpoint: str, model: str) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, body in DOCUMENTS.items():
        (docs / name).write_text(body, encoding="utf-8")
    root = tmp_path / "c"
    embed = ("--embed", endpoint, "--embed-model", model)
    result = invoke("rag", "ingest", "amt", docs, "--root", root, *embed)
    assert result.exit_code == 0, result.output
    return root


def test_the_server_names_each_models_prompts(url: str) -> None:
    cards = {card["id"]: card for card in httpx.get(f"{url}/v1/models", timeout=30).json()["data"]}
    assert cards["e5"]["prompts"] == E5_PROMPTS
    assert cards["potion"]["prompts"] == {}  # a model2vec table has none
    one = httpx.get(f"{url}/v1/models/e5", timeout=30).json()
    assert one["prompts"] == E5_PROMPTS


def test_rag_through_the_server_embeds_with_the_models_prompts(
    url: str, e5: Path, tmp_path: Path
) -> None:
    root = _ingested(tmp_path, f"{url}/v1", "e5")
    collection = open_collection(root, "amt")
    recorded = collection.meta["embedder"]
    assert recorded["prompts"] == E5_PROMPTS and recorded["prompts_told"] is True
    chunks = [chunk.text for chunk in collection.chunks]
    expected = sentence_bert_vectors(e5, chunks, prompt="passage: ")
    np.testing.assert_allclose(np.asarray(collection.vectors), expected, atol=1e-5)
    asked = sentence_bert_vectors(e5, [QUESTION], prompt="query: ")[0]
    hits = search(collection, QUESTION, k=2, mode="dense")
    np.testing.assert_allclose(
        [hit.score for hit in hits], [float(expected[hit.row] @ asked) for hit in hits], atol=1e-5
    )


def test_vectors_made_through_the_server_without_its_prompts_are_made_again(
    url: str, e5: Path, tmp_path: Path
) -> None:
    root = _ingested(tmp_path, f"{url}/v1", "e5")
    record = root / "amt" / COLLECTION_FILE
    meta = json.loads(record.read_text(encoding="utf-8"))
    meta["embedder"] = {k: meta["embedder"][k] for k in ("source", "model")}  # as it was
    record.write_text(json.dumps(meta), encoding="utf-8")
    chunks = [chunk.text for chunk in open_collection(root, "amt").chunks]
    np.save(root / "amt" / meta["index"] / VECTORS, sentence_bert_vectors(e5, chunks))
    result = invoke("rag", "ingest", "amt", tmp_path / "docs", "--root", root, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["embedded_again"] == len(chunks)
    collection = open_collection(root, "amt")
    assert collection.meta["embedder"]["prompts"] == E5_PROMPTS
    expected = sentence_bert_vectors(e5, chunks, prompt="passage: ")
    np.testing.assert_allclose(np.asarray(collection.vectors), expected, atol=1e-5)


def test_an_endpoint_that_names_no_prompts_gets_none_and_the_collection_says_so(
    tmp_path: Path,
) -> None:
    with embedding_endpoint() as told:
        root = _ingested(tmp_path, told.url, MODEL)
        collection = open_collection(root, "amt")
        search(collection, QUESTION, k=2, mode="dense")
    recorded = collection.meta["embedder"]
    assert recorded["prompts_told"] is False and "prompts" not in recorded
    assert sorted(told.texts) == sorted([chunk.text for chunk in collection.chunks] + [QUESTION])


def test_an_endpoint_whose_models_are_not_openais_list_embeds_texts_as_they_are(
    tmp_path: Path,
) -> None:
    with embedding_endpoint() as endpoint:
        endpoint.models = [MODEL]  # a JSON list, not OpenAI's {"data": [...]}
        root = _ingested(tmp_path, endpoint.url, MODEL)
    collection = open_collection(root, "amt")
    assert "prompts" not in collection.meta["embedder"]  # nothing could be read of it
    assert TOLD not in collection.meta["embedder"]
    assert sorted(endpoint.texts) == sorted(chunk.text for chunk in collection.chunks)


def test_a_collection_of_an_endpoint_without_prompts_is_not_embedded_again_on_upgrade(
    tmp_path: Path,
) -> None:
    """Its record made before `prompts_told` was recorded changes shape, not its vectors."""
    with embedding_endpoint() as endpoint:
        root = _ingested(tmp_path, endpoint.url, MODEL)
        record = root / "amt" / COLLECTION_FILE
        meta = json.loads(record.read_text(encoding="utf-8"))
        meta["embedder"] = {k: v for k, v in meta["embedder"].items() if k != TOLD}  # as it was
        record.write_text(json.dumps(meta), encoding="utf-8")
        embedded = len(endpoint.texts)
        result = invoke("rag", "ingest", "amt", tmp_path / "docs", "--root", root, "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["embedded_again"] == 0
        assert len(endpoint.texts) == embedded  # nothing went to the endpoint again
    assert open_collection(root, "amt").meta["embedder"][TOLD] is False
