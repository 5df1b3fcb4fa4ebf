"""`/v1/embeddings` takes text-embeddings-inference's `prompt_name`: the model's prompt of that
name before each text (an E5 folder's "query: " for `query`, "passage: " for `document`,
`passage` and `corpus`), the same vectors as the prompt written into the text; a name the
model has no prompt for is a 400 that names those it has, and OpenAI's fields stay as they
are. Real HTTP on loopback, in German and English."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from gemeingut.model.encoder_layout import encoder_layout
from gemeingut.serve.app import create_app
from gemeingut.serve.backends.encoder import EncoderBackend
from gemeingut.serve.served import ModelEntry
from tests.encoders.tiny_encoders import make_model2vec, make_sentence_bert
from tests.http_server import running_server

TEXT = "Wer prüft die Frist?"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("encoders")
    e5 = EncoderBackend(encoder_layout(make_sentence_bert(folder / "e5")), "e5")
    potion = ModelEntry(EncoderBackend(encoder_layout(make_model2vec(folder / "potion")), "potion"))
    with running_server(create_app(e5, also=(potion,))) as served:
        yield served


def embedded(url: str, body: dict, language: str = "de") -> httpx.Response:
    return httpx.post(
        f"{url}/v1/embeddings", json=body, headers={"Accept-Language": language}, timeout=60
    )


def vector(response: httpx.Response) -> np.ndarray:
    assert response.status_code == 200, response.text
    return np.asarray(response.json()["data"][0]["embedding"])


@pytest.mark.parametrize(
    ("name", "prompt"),
    [("query", "query: "), ("document", "passage: "), ("passage", "passage: ")],
)
def test_a_prompt_name_puts_the_models_prompt_before_the_text(
    url: str, name: str, prompt: str
) -> None:
    named = embedded(url, {"model": "e5", "input": [TEXT], "prompt_name": name})
    written = embedded(url, {"model": "e5", "input": [prompt + TEXT]})
    np.testing.assert_allclose(vector(named), vector(written), atol=1e-6)
    assert named.json()["usage"] == written.json()["usage"]
    plain = embedded(url, {"model": "e5", "input": TEXT})  # OpenAI's request, as it was
    assert plain.json()["usage"]["prompt_tokens"] < named.json()["usage"]["prompt_tokens"]
    assert not np.array_equal(vector(plain), vector(named))


def test_an_unknown_prompt_name_is_a_400_that_names_the_known(url: str) -> None:
    german = embedded(url, {"model": "e5", "input": TEXT, "prompt_name": "clustering"})
    assert german.status_code == 400
    error = german.json()["error"]
    assert error["param"] == "prompt_name"
    assert "„clustering“" in error["message"]
    assert "„query“, „document“, „passage“, „corpus“" in error["message"]
    english = embedded(url, {"model": "e5", "input": TEXT, "prompt_name": "x"}, "en")
    assert "'query', 'document', 'passage', 'corpus'" in english.json()["error"]["message"]


def test_a_model_without_prompts_refuses_every_prompt_name(url: str) -> None:
    refused = embedded(url, {"model": "potion", "input": TEXT, "prompt_name": "query"}, "en")
    assert refused.status_code == 400
    assert "names no prompts" in refused.json()["error"]["message"]


def test_a_prompt_name_with_token_ids_is_a_400(url: str) -> None:
    refused = embedded(url, {"model": "e5", "input": [[5, 6, 7]], "prompt_name": "query"}, "en")
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "input"
    assert "token ids" in refused.json()["error"]["message"]
