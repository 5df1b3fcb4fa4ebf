"""`/metrics`: a request answered before it named a model (a body too large, a missing key) is
counted under model="", not under the server's first model, which the client may never have
asked for; a request that named a model still counts under it."""

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
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.metrics import NO_MODEL
from gemeingut.serve.served import ModelEntry

Serve = Callable[[FastAPI], AbstractContextManager[str]]
SECOND = "zweites-modell"
COMPLETIONS = "/v1/completions"


def test_refusals_before_a_model_is_named_are_counted_under_no_model(
    backend: TransformersBackend, model_dir: Path, serve: Serve, tmp_path: Path
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    add_user(engine, "anna")
    anna = {"Authorization": f"Bearer {create_key(engine, 'anna')[1]}"}
    second = TransformersBackend(model_dir, model_name=SECOND)
    app = create_app(
        backend, gateway=Gateway(engine), also=(ModelEntry(second),), max_body_bytes=2_000
    )
    small = {"model": SECOND, "prompt": "Hallo", "max_tokens": 2}
    large = small | {"prompt": "Hallo " * 1_000}
    with serve(app) as url:
        statuses = [
            httpx.post(f"{url}{COMPLETIONS}", json=large, headers=anna).status_code,
            httpx.post(f"{url}{COMPLETIONS}", json=small).status_code,  # no key
            httpx.post(f"{url}{COMPLETIONS}", json=small, headers=anna).status_code,
            httpx.get(f"{url}/health").status_code,
        ]
        text = httpx.get(f"{url}/metrics").text
    assert statuses == [413, 401, 200, 200]
    got = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "gemeingut_requests_total"
    }

    def counted(model: str, status: str, route: str = COMPLETIONS) -> float:
        labels = frozenset({("model", model), ("route", route), ("status", status)})
        return got.get(("gemeingut_requests_total", labels), 0)

    assert (counted(NO_MODEL, "413"), counted(NO_MODEL, "401")) == (1, 1)
    assert counted(SECOND, "200") == 1
    assert counted(NO_MODEL, "200", "/health") == 1
    backend_label = backend.model_name
    refused = [counted(m, s) for m in (backend_label, SECOND) for s in ("413", "401")]
    assert refused == [0, 0, 0, 0]  # neither the first model nor the one the body named


def test_a_route_with_a_path_parameter_is_counted_under_its_template(
    backend: TransformersBackend, serve: Serve
) -> None:
    """Written as the API documents it: `/v1/models/{model_id}`, without Starlette's converter
    (`{model_id:path}`), which a PromQL selector would have to repeat."""
    with serve(create_app(backend)) as url:
        assert httpx.get(f"{url}/v1/models/{backend.model_name}").status_code == 200
        assert httpx.get(f"{url}/v1/models/nirgends/card").status_code == 404
        text = httpx.get(f"{url}/metrics").text
    routes = {
        s.labels["route"]
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "gemeingut_requests_total"
    }
    assert {"/v1/models/{model_id}", "/v1/models/{model_id}/card"} <= routes
    assert not any(":path" in route for route in routes)
