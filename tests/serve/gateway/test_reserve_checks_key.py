"""A key revoked or expired after the gateway authenticated a request is refused when the request
reserves its quota, whichever limits apply: the key's own, only its user's, or none at all — on
SQLite and PostgreSQL, and over real HTTP with the refusal in the audit log."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select

from gemeingut.i18n import text
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import UpstreamBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import (
    AuthError,
    Principal,
    add_user,
    authenticate,
    create_key,
    remove_user,
    revoke_key,
    utcnow,
)
from gemeingut.serve.gateway.quotas import reserve, set_limits, usage
from gemeingut.serve.gateway.store import open_store, reading
from gemeingut.serve.gateway.tables import audit_log
from tests.serve.gateway.test_revoked_while_counting import held_engine

Serve = Callable[[FastAPI], AbstractContextManager[str]]
LIMITED = ["key", "user", "none"]  # whose limit applies to the request


def authenticated(engine: Engine, limited: str, expires_in: timedelta | None = None) -> Principal:
    """Anna's request, authenticated with a valid key that has `limited`'s tokens_per_day."""
    add_user(engine, "anna")
    expires_at = utcnow() + expires_in if expires_in is not None else None
    key_id, key = create_key(engine, "anna", expires_at=expires_at)
    if limited != "none":
        set_limits(engine, limited, key_id if limited == "key" else "anna", tokens_per_day=1_000)
    return authenticate(engine, key)


def nothing_reserved(engine: Engine, principal: Principal) -> None:
    for kind, subject in (("key", principal.key_id), ("user", principal.user)):
        assert usage(engine, kind, subject, utcnow())["tokens_reserved"] == 0, (kind, subject)


@pytest.mark.parametrize("limited", LIMITED)
def test_a_key_revoked_after_its_request_authenticated_cannot_reserve(
    store_url: str, limited: str
) -> None:
    engine = open_store(store_url)
    principal = authenticated(engine, limited)
    revoke_key(engine, principal.key_id)
    with pytest.raises(AuthError) as refused:
        reserve(engine, principal, 600, stream=True, now=utcnow())
    assert (refused.value.status, refused.value.code) == (401, "revoked_api_key")
    assert text(refused.value.message) == f"der API-Schlüssel {principal.key_id} wurde widerrufen"
    nothing_reserved(engine, principal)


@pytest.mark.parametrize("limited", LIMITED)
def test_a_key_that_expired_after_its_request_authenticated_cannot_reserve(
    store_url: str, limited: str
) -> None:
    engine = open_store(store_url)
    principal = authenticated(engine, limited, expires_in=timedelta(minutes=5))
    later = utcnow() + timedelta(minutes=10)  # the request reserves after the key expired
    with pytest.raises(AuthError) as refused:
        reserve(engine, principal, 600, stream=False, now=later)
    assert (refused.value.status, refused.value.code) == (401, "expired_api_key")
    assert f"der API-Schlüssel {principal.key_id} ist am" in text(refused.value.message)
    nothing_reserved(engine, principal)


@pytest.mark.parametrize("limited", LIMITED)
def test_a_key_whose_person_was_removed_cannot_reserve(store_url: str, limited: str) -> None:
    engine = open_store(store_url)
    principal = authenticated(engine, limited)
    remove_user(engine, "anna", "p-anna")
    with pytest.raises(AuthError) as refused:
        reserve(engine, principal, 600, stream=False, now=utcnow())
    assert (refused.value.status, refused.value.code) == (401, "invalid_api_key")


@pytest.mark.parametrize("limited", LIMITED)
def test_a_valid_key_still_reserves(store_url: str, limited: str) -> None:
    engine = open_store(store_url)
    principal = authenticated(engine, limited, expires_in=timedelta(days=1))
    held = reserve(engine, principal, 600, stream=False, now=utcnow())
    assert len(held.token_windows) == (0 if limited == "none" else 1)
    if limited != "none":
        subject = principal.key_id if limited == "key" else "anna"
        assert usage(engine, limited, subject, utcnow())["tokens_reserved"] == 600


def test_a_key_with_a_user_limit_revoked_while_counted_is_refused_and_recorded(
    serve: Serve, tmp_path: Path
) -> None:
    """Over HTTP: the user's tokens_per_day makes the gateway count the prompt (a round trip
    to the engine), and the key is revoked while it counts; the key has no limit of its own."""
    store = open_store(str(tmp_path / "gateway.db"))
    add_user(store, "anna")
    key_id, key = create_key(store, "anna")
    set_limits(store, "user", "anna", tokens_per_day=10_000)
    counting, go_on = threading.Event(), threading.Event()
    answers: list[httpx.Response] = []
    with serve(held_engine(counting, go_on)) as engine_url:
        backend = UpstreamBackend(engine_url, model_name="amt-modell")
        with serve(create_app(backend, gateway=Gateway(store))) as url:

            def ask() -> None:
                body = {"model": "amt-modell", "messages": [{"role": "user", "content": "Hallo"}]}
                headers = {"Authorization": f"Bearer {key}"}
                answers.append(
                    httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=60)
                )

            client = threading.Thread(target=ask)
            client.start()
            try:
                assert counting.wait(30), "the gateway never asked the engine to count"
                revoke_key(store, key_id)  # authenticated already, not yet reserved
            finally:
                go_on.set()
                client.join(60)
    [answer] = answers
    assert answer.status_code == 401, answer.text
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["error"]["code"] == "revoked_api_key"
    with reading(store) as conn:
        records = conn.execute(select(audit_log.c.status, audit_log.c.decision)).all()
    assert [tuple(r) for r in records] == [(401, "auth:revoked_api_key")]
    assert usage(store, "user", "anna", utcnow())["tokens_reserved"] == 0
