"""The governed server over real HTTP with the official `openai` client: keys, scopes, quotas
and the audit log, as a staff member and a data-protection officer would meet them."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import openai
import pytest
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import (
    add_group,
    add_user,
    create_key,
    revoke_key,
    utcnow,
)
from gemeingut.serve.gateway.quotas import set_limits, usage
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME

Serve = Callable[[FastAPI], AbstractContextManager[str]]
SECRET_PROMPT = "Akte 4711: Frau Müller, Diagnose vertraulich"


def client(url: str, key: str | None) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key or "none", max_retries=0)


def chat(url: str, key: str | None, content: str = SECRET_PROMPT, max_tokens: int = 4):
    return client(url, key).chat.completions.create(
        model=MODEL_NAME, messages=[{"role": "user", "content": content}], max_tokens=max_tokens
    )


def test_only_valid_keys_for_the_model_get_answers(governed: tuple[str, Gateway]) -> None:
    url, gateway = governed
    engine = gateway.engine
    _, key = create_key(engine, "anna")
    assert chat(url, key).choices[0].message.content is not None
    with pytest.raises(openai.AuthenticationError, match="ist ungültig"):
        chat(url, "gg_000000000000_wrong")
    missing = httpx.post(f"{url}/v1/chat/completions", json={"model": MODEL_NAME})
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    revoked_id, revoked = create_key(engine, "anna")
    revoke_key(engine, revoked_id)
    with pytest.raises(openai.AuthenticationError, match="wurde widerrufen"):
        chat(url, revoked)
    from datetime import timedelta

    _, expired = create_key(engine, "anna", expires_at=utcnow() - timedelta(seconds=1))
    with pytest.raises(openai.AuthenticationError, match="abgelaufen"):
        chat(url, expired)
    _, other_model = create_key(engine, "anna", models=("another-model",))
    with pytest.raises(openai.PermissionDeniedError, match=r"darf das Modell .* nicht nutzen"):
        chat(url, other_model)
    assert client(url, other_model).models.list().data == []
    assert [m.id for m in client(url, key).models.list().data] == [MODEL_NAME]
    tokenize = httpx.post(f"{url}/tokenize", json={"prompt": "Hallo"})
    assert tokenize.status_code == 401
    assert httpx.get(f"{url}/health").status_code == 200  # liveness stays open


@pytest.mark.usefixtures("fresh_minute")
def test_a_used_up_quota_is_a_429_naming_the_limit_with_retry_after(
    governed: tuple[str, Gateway],
) -> None:
    url, gateway = governed
    _, key = create_key(gateway.engine, "anna")
    set_limits(gateway.engine, "group", "schule", requests_per_minute=2)
    chat(url, key)
    chat(url, key)
    response = httpx.post(
        f"{url}/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": MODEL_NAME, "messages": [{"role": "user", "content": "Hallo"}]},
    )
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60
    error = response.json()["error"]
    assert (
        error["code"] == "rate_limit_exceeded"
        and "„Anfragen pro Minute“ von Gruppe schule" in error["message"]
    )
    with pytest.raises(openai.RateLimitError):
        chat(url, key)


def test_concurrent_requests_never_overshoot_the_daily_tokens(
    governed: tuple[str, Gateway],
) -> None:
    url, gateway = governed
    _, key = create_key(gateway.engine, "anna")
    set_limits(gateway.engine, "user", "anna", tokens_per_day=400)

    def one(_: int) -> int:
        try:
            answer = chat(url, key, content="Hallo", max_tokens=8)
        except openai.RateLimitError:
            return 0
        return answer.usage.total_tokens

    with ThreadPoolExecutor(16) as pool:
        spent = list(pool.map(one, range(32)))
    today = usage(gateway.engine, "user", "anna", utcnow())
    assert today["tokens_today"] == sum(spent) <= 400 and today["tokens_reserved"] == 0
    assert 0 < spent.count(0) < 32  # some were refused, some answered


def test_the_audit_log_records_every_request_as_metadata_only(
    governed: tuple[str, Gateway], store_url: str
) -> None:
    url, gateway = governed
    key_id, key = create_key(gateway.engine, "anna")
    answer = chat(url, key)
    streamed = client(url, key).chat.completions.create(
        model=MODEL_NAME,
        messages=[{"role": "user", "content": SECRET_PROMPT}],
        max_tokens=4,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(streamed)
    with pytest.raises(openai.AuthenticationError):
        chat(url, "gg_000000000000_wrong")
    records = list(export(gateway.engine))
    assert [(r["status"], r["decision"]) for r in records] == [
        (200, "allowed"),
        (200, "allowed"),
        (401, "auth:invalid_api_key"),
    ]
    first, stream_record, refused = records
    assert first["request_id"] == answer.id and stream_record["request_id"] == chunks[0].id
    assert first["prompt_tokens"] == answer.usage.prompt_tokens
    assert first["completion_tokens"] == answer.usage.completion_tokens
    assert stream_record["completion_tokens"] == chunks[-1].usage.completion_tokens
    assert first["key_id"] == key_id and first["user_pseudonym"] != "anna"
    assert first["user_pseudonym"] == stream_record["user_pseudonym"]  # stable per user
    assert refused["user_pseudonym"] is None and refused["key_id"] == "000000000000"
    for record in records:
        assert len(json.dumps(record, default=str).encode()) < 512
        assert set(record) >= {"at", "route", "model", "status", "decision", "duration_ms"}
    if store_url.endswith(".db"):  # the content is nowhere in the database's files
        for file in Path(store_url).parent.glob("gateway.db*"):
            data = file.read_bytes()
            assert b"Akte 4711" not in data and "Müller".encode() not in data  # hex has 4711
            assert b"127.0.0.1" not in data


def test_an_overlong_key_id_is_a_401_and_never_reaches_the_audit_log(
    governed: tuple[str, Gateway],
) -> None:
    """Anyone can send any bearer token: what is no key id of ours is recorded as none (a
    60,000-character id made a 500 on PostgreSQL and a 60 KB record on SQLite)."""
    url, gateway = governed
    for token in (f"gg_{'a' * 60_000}_x", f"gg_{'0' * 40}_x", "gg_0123456789ab_x"):
        response = httpx.post(
            f"{url}/v1/chat/completions",
            headers={"authorization": f"Bearer {token}"},
            json={"model": MODEL_NAME, "messages": [{"role": "user", "content": "Hallo"}]},
        )
        assert response.status_code == 401, response.text
    records = list(export(gateway.engine))
    assert [r["key_id"] for r in records] == [None, None, "0123456789ab"]
    assert all(r["decision"] == "auth:invalid_api_key" for r in records)
    assert all(len(json.dumps(r, default=str)) < 500 for r in records)


@pytest.mark.usefixtures("fresh_minute")
def test_a_key_quota_names_the_key_and_an_embedding_has_no_max_tokens_to_lower(
    governed: tuple[str, Gateway],
) -> None:
    url, gateway = governed
    key_id, key = create_key(gateway.engine, "anna")
    set_limits(gateway.engine, "key", key_id, requests_per_minute=1)
    chat(url, key)
    with pytest.raises(openai.RateLimitError) as refused:
        chat(url, key)
    said = refused.value.body["message"]
    assert f"„Anfragen pro Minute“ von Schlüssel {key_id}: die 1 Anfrage pro Minute" in said
    assert "Gruppe" not in said
    set_limits(gateway.engine, "key", key_id, requests_per_minute=None, tokens_per_day=1)
    response = httpx.post(
        f"{url}/v1/embeddings",
        headers={"authorization": f"Bearer {key}"},
        json={"model": MODEL_NAME, "input": "Hallo Welt, wie geht es?"},
    )
    assert response.status_code == 429, response.text
    said = response.json()["error"]["message"]
    assert f"„Tokens pro Tag“ von Schlüssel {key_id}" in said and "weniger Text" in said
    assert "max_tokens" not in said


@pytest.mark.usefixtures("fresh_minute")
def test_a_full_queue_is_audited_as_such_and_costs_no_request_of_the_minute(
    store_url: str, backend: TransformersBackend, serve: Serve
) -> None:
    engine = open_store(store_url)
    add_group(engine, "schule")
    add_user(engine, "anna", ("schule",))
    _, key = create_key(engine, "anna")
    set_limits(engine, "group", "schule", requests_per_minute=3)
    set_limits(engine, "user", "anna", tokens_per_day=100_000)
    app = create_app(backend, gateway=Gateway(engine), max_waiting=0, max_running=1)
    app.state.queue.admit()  # the one place is taken, as by a long answer
    with serve(app) as url:
        for _ in range(5):  # more than the minute allows: none of them counts
            with pytest.raises(openai.InternalServerError) as busy:
                chat(url, key)
            assert busy.value.status_code == 503 and busy.value.body["code"] == "queue_full"
    today = usage(engine, "group", "schule", utcnow())
    assert today["requests_this_minute"] == 0
    assert usage(engine, "user", "anna", utcnow())["tokens_reserved"] == 0
    records = list(export(engine))
    assert [(r["status"], r["decision"]) for r in records] == [(503, "queue_full")] * 5


def test_readiness_asks_the_database(governed: tuple[str, Gateway], tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    from gemeingut.serve.gateway.gate import database_answers

    url, gateway = governed
    assert httpx.get(f"{url}/ready").status_code == 200
    assert database_answers(gateway.engine)
    gone = create_engine(f"sqlite:///{tmp_path / 'no-folder' / 'gateway.db'}")
    assert not database_answers(gone)  # what /ready then answers with its 503


def test_a_failing_database_is_a_503_with_retry_after_not_a_traceback(
    governed: tuple[str, Gateway],
) -> None:
    url, gateway = governed
    _, key = create_key(gateway.engine, "anna")
    set_limits(gateway.engine, "group", "schule", requests_per_minute=3)
    with gateway.engine.begin() as conn:  # the counters' table is gone: every reservation fails
        conn.exec_driver_sql("DROP TABLE usage_counters")
    response = httpx.post(
        f"{url}/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": MODEL_NAME, "messages": [{"role": "user", "content": "Hallo"}]},
    )
    assert response.status_code == 503 and int(response.headers["retry-after"]) >= 1
    error = response.json()["error"]
    assert error["code"] == "database_unavailable"
    assert "Datenbank" in error["message"] and "Traceback" not in response.text
    assert [(r["status"], r["decision"]) for r in export(gateway.engine)][-1] == (
        503,
        "database_unavailable",
    )


def test_a_database_failure_outside_admission_is_a_503_too(
    governed: tuple[str, Gateway],
) -> None:
    """The record of a refused key is written before any admission: a database that fails
    there is the same 503 with `Retry-After`, not a 500."""
    url, gateway = governed
    with gateway.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE audit_log")
    response = httpx.post(
        f"{url}/v1/chat/completions",
        headers={"authorization": "Bearer gg_000000000000_wrong"},
        json={"model": MODEL_NAME, "messages": [{"role": "user", "content": "Hallo"}]},
    )
    assert response.status_code == 503 and int(response.headers["retry-after"]) >= 1
    assert response.json()["error"]["code"] == "database_unavailable"
