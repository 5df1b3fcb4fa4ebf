"""A key revoked or expired after the gateway authenticated a request is refused when the request
reserves its quota, whichever limits apply: the key's own, only its user's, or none at all — on
SQLite and PostgreSQL (over real HTTP: test_revoked_while_counting.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from gemeingut.i18n import text
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
from gemeingut.serve.gateway.store import open_store

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
