"""`GET /metrics`: what Prometheus scrapes matches what the server did, and names no one."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.quotas import set_limits
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.metrics import NO_MODEL
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.mark.usefixtures("fresh_minute")
def test_metrics_count_requests_tokens_and_quota_refusals_per_model(
    backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    add_user(engine, "anna")
    key_id, key = create_key(engine, "anna")
    set_limits(engine, "user", "anna", requests_per_minute=3)
    body = {
        "model": MODEL_NAME,
        "messages": [{"role": "user", "content": "Hallo"}],
        "max_tokens": 3,
    }
    with serve(create_app(backend, gateway=Gateway(engine))) as url:
        auth = {"authorization": f"Bearer {key}"}
        used = [
            httpx.post(f"{url}/v1/chat/completions", json=body, headers=auth).json()["usage"]
            for _ in range(2)
        ]
        with httpx.stream(
            "POST", f"{url}/v1/chat/completions", headers=auth, json=body | {"stream": True}
        ) as s:
            assert "[DONE]" in "".join(s.iter_lines())
        assert httpx.post(f"{url}/v1/chat/completions", json=body, headers=auth).status_code == 429
        assert httpx.post(f"{url}/v1/chat/completions", json=body).status_code == 401
        httpx.get(f"{url}/no/such/path/{'x' * 50}")
        scraped = httpx.get(f"{url}/metrics")
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    got = samples(scraped.text)
    chat = "/v1/chat/completions"

    def requests(status: str, model: str = MODEL_NAME, route: str = chat) -> float:
        labels = (("model", model), ("route", route), ("status", status))
        return got.get(("gemeingut_requests_total", labels), 0)

    assert (requests("200"), requests("429"), requests("401")) == (3, 1, 0)
    # Refused before the request named a model, and a path that takes none: no model's.
    assert requests("401", NO_MODEL) == 1
    assert (requests("404", NO_MODEL, "other"), requests("404", route="other")) == (1, 0)
    prompt = got[("gemeingut_tokens_total", (("kind", "prompt"), ("model", MODEL_NAME)))]
    assert prompt >= sum(u["prompt_tokens"] for u in used) > 0
    limit = (("limit", "requests_per_minute"), ("model", MODEL_NAME))
    assert got[("gemeingut_quota_rejections_total", limit)] == 1
    assert got[("gemeingut_queue_waiting", (("model", MODEL_NAME),))] == 0
    latency = (("model", MODEL_NAME), ("route", chat))
    assert got[("gemeingut_request_seconds_count", latency)] == 4
    assert got[("gemeingut_request_seconds_count", (("model", NO_MODEL), ("route", chat)))] == 1
    assert "anna" not in scraped.text and key_id not in scraped.text
