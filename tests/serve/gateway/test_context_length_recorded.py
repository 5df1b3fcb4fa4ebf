"""A prompt longer than the model's context is answered 400 `context_length_exceeded`, and its
audit record says so: status 400, decision `context_length_exceeded` (after a redaction the
policy made before: `redacted:RULE;context_length_exceeded`). Before, a record written after
the gate admitted the request said `allowed` (tokens 0/0), which an auditor reads as a request
the server let through; and where the key's limit is in tokens (counted while admitting), the
refusal was recorded only as `invalid_request`, under an id of its own, without the redaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from gemeingut.cli import app
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.policy import Policy
from gemeingut.serve.gateway.quotas import set_limits
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
LONG = "Die Katze sieht den Garten. " * 60  # some 400 tokens: past the tiny model's 256


def exported(store_url: str, request_id: str) -> dict:
    result = CliRunner().invoke(
        app, ["admin", "audit", "export", "--db", store_url, "--request", request_id]
    )
    assert result.exit_code == 0, result.output
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    return record


@pytest.mark.parametrize("counted", [False, True], ids=["no-token-limit", "tokens-per-day"])
def test_a_prompt_past_the_context_is_recorded_as_refused_for_its_length(
    store_url: str, backend: TransformersBackend, serve: Serve, counted: bool
) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    if counted:  # the tokens are counted while the gate admits the request
        set_limits(engine, "user", "anna", tokens_per_day=100_000)
    served = create_app(backend, gateway=Gateway(engine), policy=Policy.load("default"))
    asked = [
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": LONG}]}, "allowed"),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": LONG}], "stream": True},
         "allowed"),
        ("/v1/completions", {"prompt": LONG + " Schreiben Sie an berg@amt.example."},
         "redacted:personal-data"),
    ]  # fmt: skip
    with serve(served) as url:
        for route, body, before in asked:
            answer = httpx.post(
                url + route,
                json={"model": MODEL_NAME, "max_tokens": 4, **body},
                headers={"authorization": f"Bearer {key}"},
                timeout=60,
            )
            error = answer.json()["error"]
            assert (answer.status_code, error["code"]) == (400, "context_length_exceeded")
            record = exported(store_url, error["request_id"])
            assert record["status"] == 400, record
            refused = "context_length_exceeded"
            assert record["decision"] == (refused if before == "allowed" else f"{before};{refused}")
            assert record["request_id"].startswith(("chatcmpl-", "cmpl-"))
