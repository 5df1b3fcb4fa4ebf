"""One server, several models: a request's `model` picks one, `/v1/models` lists each (with its
openness) that the key may use, a key scoped to one model is refused the other, each model's
tokens are counted under its name; from the command line with `--also`."""

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
from gemeingut.serve.findings_routes import FindingsDesk
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.model_openness import model_openness
from gemeingut.serve.served import ModelEntry
from tests.http_server import serving_process
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
SECOND = "zweites-modell"


def test_each_model_is_served_by_name_and_scoped_by_key(
    backend: TransformersBackend, model_dir: Path, serve: Serve, tmp_path: Path
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    add_user(engine, "anna")
    only_second = create_key(engine, "anna", models=(SECOND,))[1]
    both = create_key(engine, "anna")[1]
    second = TransformersBackend(model_dir, model_name=SECOND)
    app = create_app(
        backend,
        gateway=Gateway(engine),
        also=(ModelEntry(second, model_openness(model_dir)),),
        findings=FindingsDesk(tmp_path / "findings.jsonl"),
    )
    with serve(app) as url:

        def client(key: str) -> openai.OpenAI:
            return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)

        listed = client(both).models.list().data
        assert [m.id for m in listed] == [MODEL_NAME, SECOND]
        assert [m.id for m in client(only_second).models.list().data] == [SECOND]
        answer = client(only_second).completions.create(model=SECOND, prompt="Hallo", max_tokens=2)
        assert answer.model == SECOND
        with pytest.raises(openai.PermissionDeniedError):
            client(only_second).completions.create(model=MODEL_NAME, prompt="Hallo", max_tokens=2)
        with pytest.raises(openai.NotFoundError) as missing:
            client(both).completions.create(model="drittes", prompt="Hallo", max_tokens=2)
        assert f"'{MODEL_NAME}', '{SECOND}'" in str(missing.value)
        chat = client(both).chat.completions.create(
            model=MODEL_NAME, messages=[{"role": "user", "content": "Hallo"}], max_tokens=2
        )
        assert chat.model == MODEL_NAME
        card = httpx.get(f"{url}/v1/models/{SECOND}", headers={"Authorization": f"Bearer {both}"})
        assert card.json()["openness"] is not None
        tokens = httpx.post(
            f"{url}/tokenize", json={"model": SECOND, "prompt": "Hallo"},
            headers={"Authorization": f"Bearer {both}"},
        )  # fmt: skip
        assert tokens.status_code == 200 and tokens.json()["count"] >= 1
        scoped = {"Authorization": f"Bearer {only_second}"}
        hidden = httpx.get(f"{url}/tokenizer_info?model={MODEL_NAME}", headers=scoped)
        assert hidden.status_code == 403  # a key for one model learns nothing of the other
        unknown = httpx.post(
            f"{url}/v1/completions", json={"model": "drittes", "prompt": "Hallo"}, headers=scoped
        )
        assert unknown.status_code == 404 and MODEL_NAME not in unknown.text
        assert SECOND in unknown.text
        reported = httpx.post(
            f"{url}/v1/findings",
            json={"category": "bias", "prompt": "Frage", "response": "Antwort", "model": SECOND},
            headers={"Authorization": f"Bearer {both}"},
        )
        assert reported.status_code == 200 and reported.json()["model"] == SECOND
        metrics = httpx.get(f"{url}/metrics").text
    assert f'gemeingut_tokens_total{{kind="completion",model="{SECOND}"}}' in metrics
    assert f'gemeingut_queue_waiting{{model="{SECOND}"}}' in metrics


def test_the_cli_serves_another_model_beside_the_first(model_dir: Path, tmp_path: Path) -> None:
    other = shutil.copytree(model_dir, tmp_path / SECOND)
    with serving_process(str(model_dir), MODEL_NAME, "--also", str(other)) as url:
        listed = httpx.get(f"{url}/v1/models").json()["data"]
        assert [m["id"] for m in listed] == [MODEL_NAME, SECOND]
        answer = httpx.post(
            f"{url}/v1/completions", json={"model": SECOND, "prompt": "Hallo", "max_tokens": 2}
        ).json()
        assert answer["model"] == SECOND


def test_two_models_of_one_name_are_refused(backend: TransformersBackend) -> None:
    from gemeingut.errors import InputError

    with pytest.raises(InputError, match="tiny-llama"):
        create_app(backend, also=(ModelEntry(backend),))
