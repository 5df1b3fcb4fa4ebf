"""A quota's 429 carries OpenAI's code for a rate limit, `rate_limit_exceeded`, so that a client
written for OpenAI that tells a rate limit by its code reads ours as one; it said
`quota_exceeded`, which no such client knows. What the operator keeps is unchanged: the audit
record's decision names the limit. Behind `--upstream`, an engine's refusal with either code
(a newer or an older gemeingut as engine) is no refusal of this server's quotas: the client
and the record get the status's code (real servers on loopback, a real database)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import openai
import pytest
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend, UpstreamBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.quotas import set_limits
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME
from tests.serve.gateway.test_upstream_refusal_code import asked, exported, refusing

Serve = Callable[[FastAPI], AbstractContextManager[str]]
HELLO = [{"role": "user", "content": "Hallo"}]


def keyed(store_url: str, **limits: int) -> str:
    """A key of anna, with `limits` of hers."""
    store = open_store(store_url)
    add_user(store, "anna")
    _, key = create_key(store, "anna")
    if limits:
        set_limits(store, "user", "anna", **limits)
    return key


def test_a_quotas_429_has_openais_code_and_its_record_the_limit(
    backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    store_url = str(tmp_path / "gateway.db")
    key = keyed(store_url, requests_per_minute=0)
    with serve(create_app(backend, gateway=Gateway(open_store(store_url)))) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
        with pytest.raises(openai.RateLimitError) as refused:
            client.chat.completions.create(model=MODEL_NAME, messages=HELLO, max_tokens=2)
    error = refused.value
    assert (error.code, error.type, error.param) == (
        "rate_limit_exceeded",
        "rate_limit_error",
        "requests_per_minute",
    ), error.body
    record = exported(store_url, error.body["request_id"])
    assert (record["status"], record["decision"]) == (429, "quota:requests_per_minute")


@pytest.mark.parametrize("code", ["rate_limit_exceeded", "quota_exceeded"])
def test_an_engines_rate_limit_code_is_not_passed_off_as_ours(
    serve: Serve, tmp_path: Path, code: str
) -> None:
    store_url = str(tmp_path / "gateway.db")
    key = keyed(store_url)
    with (
        serve(refusing(code)) as engine_url,
        serve(
            create_app(UpstreamBackend(engine_url), gateway=Gateway(open_store(store_url)))
        ) as url,
    ):
        status, error = asked(url, key, stream=False)
    assert (status, error["code"]) == (400, "invalid_request"), error
    record = exported(store_url, error["request_id"])
    assert (record["status"], record["decision"]) == (400, "invalid_request")
