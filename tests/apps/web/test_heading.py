"""The page's heading says what the server serves. Before, every page said „Ihr eigenes
Sprachmodell“ — also in front of someone else's engine (`--upstream`) or a model folder from
anywhere. Now it is computed from the served models (heading.py): the tiny release bundle is
"your own", the same bundle reached through an engine is "forwarded", a model folder that is
no bundle is "not a Gemeingut release", and both beside each other are "your own and other".
Over HTTP (the heading is in the page as served), in German and English; /v1/models tells API
clients the same (`provenance`).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
import pytest

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend, UpstreamBackend
from gemeingut.serve.model_openness import model_openness
from gemeingut.serve.served import ModelEntry
from tests.http_server import running_server


def headings(url: str) -> dict[str, str]:
    """The page's heading and title in each language, which must be the same."""
    said = {}
    for language in ("de", "en"):
        page = httpx.get(f"{url}/?lang={language}", timeout=30).text
        heading = html.unescape(re.search(r"<h1>(.*?)</h1>", page).group(1))
        assert html.unescape(re.search(r"<title>(.*?)</title>", page).group(1)) == heading
        said[language] = heading
    return said


def provenances(url: str) -> dict[str, str]:
    """Each model's `provenance` as /v1/models tells it."""
    listed = httpx.get(f"{url}/v1/models", timeout=30).json()["data"]
    return {model["id"]: model["provenance"] for model in listed}


@pytest.fixture(scope="module")
def own(tiny_build: dict) -> ModelEntry:
    """The tiny release bundle's model, rated as the server rates it at start."""
    model = Path(tiny_build["release"]["path"]) / "bundle" / "model"
    return ModelEntry(TransformersBackend(model, model_name="eigen"), model_openness(model))


@pytest.fixture(scope="module")
def foreign(long_model_dir: Path) -> ModelEntry:
    backend = TransformersBackend(long_model_dir, model_name="fremd")
    return ModelEntry(backend, model_openness(long_model_dir))


def test_a_release_bundle_is_the_own_model(own: ModelEntry) -> None:
    with running_server(create_app(own.backend, openness=own.openness)) as url:
        assert headings(url) == {
            "de": "Gemeingut KI: Ihr eigenes Sprachmodell",
            "en": "Gemeingut KI: your own language model",
        }


def test_an_engine_behind_upstream_is_forwarded_to(own: ModelEntry) -> None:
    engine = create_app(own.backend, openness=own.openness)  # the own model, but elsewhere
    with (
        running_server(engine) as engine_url,
        running_server(create_app(UpstreamBackend(engine_url))) as url,
    ):
        assert headings(url) == {
            "de": "Gemeingut KI: Weiterleitung an ein externes Sprachmodell",
            "en": "Gemeingut KI: forwarding to an external language model",
        }
        assert set(provenances(url).values()) == {"forwarded"}


def test_a_folder_that_is_no_release_is_not_called_own(foreign: ModelEntry) -> None:
    with running_server(create_app(foreign.backend, openness=foreign.openness)) as url:
        assert headings(url) == {
            "de": "Gemeingut KI: ein Sprachmodell, das kein Gemeingut-Release ist",
            "en": "Gemeingut KI: a language model that is not a Gemeingut release",
        }


def test_an_own_model_beside_another_says_both(own: ModelEntry, foreign: ModelEntry) -> None:
    app = create_app(own.backend, openness=own.openness, also=(foreign,))
    with running_server(app) as url:
        assert headings(url) == {
            "de": "Gemeingut KI: eigene und andere Sprachmodelle",
            "en": "Gemeingut KI: your own and other language models",
        }
        assert provenances(url) == {"eigen": "own", "fremd": "foreign"}  # told to API clients
