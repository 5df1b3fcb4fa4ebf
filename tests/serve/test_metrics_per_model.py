"""`/metrics` of a server with several models: each request is counted and timed under the model
it resolved to, a quota refusal under the model refused; a request for a model the server does
not serve is counted under "unknown", so that clients cannot add a label value per name."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.quotas import set_limits
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.metrics import UNKNOWN_MODEL
from gemeingut.serve.served import ModelEntry
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
SECOND = "zweites-modell"
COMPLETIONS = "/v1/completions"


def scraped(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = httpx.get(f"{url}/metrics").text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_each_request_is_counted_under_the_model_it_asked_for(
    backend: TransformersBackend, model_dir: Path, serve: Serve, tmp_path: Path
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    add_user(engine, "anna")
    add_user(engine, "bert")
    anna = {"Authorization": f"Bearer {create_key(engine, 'anna')[1]}"}
    bert = {"Authorization": f"Bearer {create_key(engine, 'bert')[1]}"}
    set_limits(engine, "user", "bert", tokens_per_day=1)  # any request of his is refused
    second = TransformersBackend(model_dir, model_name=SECOND)
    app = create_app(backend, gateway=Gateway(engine), also=(ModelEntry(second),))
    with serve(app) as url:

        def complete(model: str, headers: dict[str, str]) -> int:
            body = {"model": model, "prompt": "Hallo", "max_tokens": 2}
            return httpx.post(f"{url}{COMPLETIONS}", json=body, headers=headers).status_code

        assert complete(MODEL_NAME, anna) == 200
        assert [complete(SECOND, anna) for _ in range(2)] == [200, 200]
        assert complete(SECOND, bert) == 429
        assert [complete(f"nope-{i}", anna) for i in range(3)] == [404] * 3
        got = scraped(url)

    def value(name: str, **labels: str) -> float:
        return got.get((name, frozenset(labels.items())), 0)

    requests = "gemeingut_requests_total"
    assert value(requests, model=MODEL_NAME, route=COMPLETIONS, status="200") == 1
    assert value(requests, model=SECOND, route=COMPLETIONS, status="200") == 2
    assert value(requests, model=SECOND, route=COMPLETIONS, status="429") == 1
    assert value(requests, model=UNKNOWN_MODEL, route=COMPLETIONS, status="404") == 3
    timed = "gemeingut_request_seconds_count"
    assert value(timed, model=MODEL_NAME, route=COMPLETIONS) == 1
    assert value(timed, model=SECOND, route=COMPLETIONS) == 3
    assert value(timed, model=UNKNOWN_MODEL, route=COMPLETIONS) == 3
    refused = "gemeingut_quota_rejections_total"
    assert value(refused, model=SECOND, limit="tokens_per_day") == 1
    assert value(refused, model=MODEL_NAME, limit="tokens_per_day") == 0
    assert got[("gemeingut_queue_waiting", frozenset({("model", SECOND)}))] == 0
    named = {dict(labels).get("model") for _name, labels in got}
    assert named == {MODEL_NAME, SECOND, UNKNOWN_MODEL}  # no label value per name asked for
