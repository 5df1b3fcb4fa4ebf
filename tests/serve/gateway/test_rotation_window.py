"""Rotating a key while its requests are under way never lets its limits overshoot: a request
that authenticated just before the rotation cannot reserve on the old key's counters after
them (nobody reads those any more), and a stream that ends while the rotation copies the old
key's counters gives its place back on the new key too — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from gemeingut.i18n import text
from gemeingut.serve.gateway.identity import (
    AuthError,
    add_user,
    authenticate,
    create_key,
    rotate_key,
    utcnow,
)
from gemeingut.serve.gateway.quotas import reserve, set_limits, settle, usage
from gemeingut.serve.gateway.store import open_store


def test_a_request_authenticated_before_its_key_was_rotated_cannot_reserve_after(
    store_url: str,
) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    old_id, old_key = create_key(engine, "anna")
    set_limits(engine, "key", old_id, tokens_per_day=1_000, concurrent_streams=1)
    principal = authenticate(engine, old_key)  # the request's key was valid when it came
    new_id, _new_key = rotate_key(engine, old_id)
    with pytest.raises(AuthError) as refused:
        reserve(engine, principal, 600, stream=True, now=utcnow())
    assert refused.value.status == 401 and refused.value.code == "revoked_api_key"
    assert text(refused.value.message) == f"der API-Schlüssel {old_id} wurde widerrufen"
    for key_id in (old_id, new_id):  # nothing was taken where the new key would not see it
        today = usage(engine, "key", key_id, utcnow())
        assert (today["tokens_reserved"], today["open_streams"]) == (0, 0), (key_id, today)


def test_a_stream_that_ends_during_a_rotation_leaves_no_place_on_the_new_key(
    store_url: str,
) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    old_id, old_key = create_key(engine, "anna")
    set_limits(engine, "key", old_id, concurrent_streams=1)
    held = reserve(engine, authenticate(engine, old_key), 0, stream=True, now=utcnow())
    rotated: list[tuple[str, str]] = []
    with engine.connect() as conn:
        ending = conn.begin()
        settle(conn, held, 0)  # the stream ends; its transaction has not committed yet
        rotation = threading.Thread(target=lambda: rotated.append(rotate_key(engine, old_id)))
        rotation.start()
        rotation.join(1.0)  # it waits for the ending stream (PostgreSQL: for the key's row)
        ending.commit()
    rotation.join(30)
    assert rotated, "the rotation did not finish"
    new_id, new_key = rotated[0]
    assert usage(engine, "key", new_id, utcnow())["open_streams"] == 0
    reserve(engine, authenticate(engine, new_key), 0, stream=True, now=utcnow())  # no 429
