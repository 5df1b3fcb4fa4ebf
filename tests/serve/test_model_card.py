"""Each model on /v1/models with its card: the card's address on this server, its title and
first paragraph; `GET /v1/models/{id}/card` serves the model folder's README.md as Markdown,
to whoever may use the model, and a model without a card is a 404 there (`card: null`)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import openai
import pytest
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.model_card import model_card
from gemeingut.serve.served import ModelEntry
from tests.http_server import serving_process
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
CARD = """---
license: cc-by-sa-4.0
language: [de]
---

# Amtsmodell 1

Ein kleines Modell für Bescheide der Stadt, trainiert auf offenen Texten.
Es ist ein Beispiel.

## Training

- 2 Schichten
"""


@pytest.fixture
def carded(model_dir: Path, tmp_path: Path) -> Path:
    """The tiny model's folder with a card."""
    folder = tmp_path / "amtsmodell"
    shutil.copytree(model_dir, folder)
    (folder / "README.md").write_text(CARD, encoding="utf-8")
    return folder


def test_models_list_each_models_card_and_serves_it(
    carded: Path, backend: TransformersBackend, model_dir: Path, serve: Serve
) -> None:
    other = TransformersBackend(model_dir, model_name="ohne-karte")
    app = create_app(backend, card=model_card(carded), also=(ModelEntry(other),))
    with serve(app) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="-", max_retries=0)
        listed = {model.id: model for model in client.models.list()}
        card = listed[MODEL_NAME].model_extra["card"]
        assert card == {
            "url": f"/v1/models/{MODEL_NAME}/card",
            "title": "Amtsmodell 1",
            "summary": "Ein kleines Modell für Bescheide der Stadt, trainiert auf offenen Texten. "
            "Es ist ein Beispiel.",
        }
        assert client.models.retrieve(MODEL_NAME).model_extra["card"] == card
        assert listed["ohne-karte"].model_extra["card"] is None
        served = httpx.get(url + card["url"])
        assert served.status_code == 200 and served.text == CARD
        assert served.headers["content-type"] == "text/markdown; charset=utf-8"
        missing = httpx.get(f"{url}/v1/models/ohne-karte/card")
        assert missing.status_code == 404
        error = missing.json()["error"]
        assert error["message"] == "der Server hat keine Modellkarte des Modells „ohne-karte“"
        assert httpx.get(f"{url}/v1/models/unbekannt/card").status_code == 404


def test_a_models_card_is_for_whoever_may_use_the_model(
    carded: Path, backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    add_user(engine, "anna")
    _key_id, key = create_key(engine, "anna")
    _other_id, scoped = create_key(engine, "anna", models=("ein-anderes",))
    app = create_app(backend, gateway=Gateway(engine), card=model_card(carded))
    with serve(app) as url:
        address = f"{url}/v1/models/{MODEL_NAME}/card"
        assert httpx.get(address).status_code == 401
        allowed = httpx.get(address, headers={"authorization": f"Bearer {key}"})
        assert allowed.status_code == 200 and allowed.text == CARD
        hidden = httpx.get(address, headers={"authorization": f"Bearer {scoped}"})
        assert hidden.status_code == 404


def test_serve_reads_the_card_of_the_model_folder_at_start(carded: Path) -> None:
    with serving_process(str(carded), "amt") as url:
        [listed] = httpx.get(f"{url}/v1/models").json()["data"]
        assert listed["card"]["title"] == "Amtsmodell 1"
        assert httpx.get(url + listed["card"]["url"]).text == CARD
