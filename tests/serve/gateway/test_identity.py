"""Users, groups and keys: a key is shown once, stored as a hash, scoped, revocable, expiring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from gemeingut.errors import InputError
from gemeingut.serve.gateway.identity import (
    AuthError,
    add_group,
    add_member,
    add_user,
    authenticate,
    create_key,
    list_keys,
    revoke_key,
    set_user_disabled,
    utcnow,
)
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.gateway.tables import api_keys


def test_a_key_authenticates_its_user_with_groups_and_is_stored_only_as_a_hash(
    store_url: str,
) -> None:
    engine = open_store(store_url)
    add_group(engine, "schule")
    add_group(engine, "verwaltung")
    add_user(engine, "anna", ("schule",))
    add_member(engine, "anna", "verwaltung")
    key_id, key = create_key(engine, "anna", "laptop", models=("gemeingut-demo",))
    principal = authenticate(engine, key)
    assert (principal.user, principal.key_id) == ("anna", key_id)
    assert principal.groups == ("schule", "verwaltung")
    assert principal.may_use("gemeingut-demo") and not principal.may_use("other")
    with engine.connect() as conn:
        stored = conn.execute(select(api_keys)).mappings().one()
    secret = key.split("_", 2)[2]
    assert secret not in str(dict(stored)) and len(stored["secret_sha256"]) == 64
    assert "key" not in list_keys(engine)[0] and list_keys(engine)[0]["last_used_at"]


@pytest.mark.parametrize(
    ("spoil", "status", "code"),
    [
        (
            lambda engine, key_id, key: (None, key[:-1] + ("A" if key[-1] != "A" else "B")),
            401,
            "invalid_api_key",
        ),
        (lambda engine, key_id, key: (revoke_key(engine, key_id), key), 401, "revoked_api_key"),
        (
            lambda engine, key_id, key: (set_user_disabled(engine, "anna", True), key),
            403,
            "user_disabled",
        ),
        (lambda engine, key_id, key: (None, "sk-not-ours"), 401, "invalid_api_key"),
        (lambda engine, key_id, key: (None, ""), 401, "missing_api_key"),
    ],
    ids=["wrong-secret", "revoked", "disabled-user", "foreign", "missing"],
)
def test_keys_that_must_not_work_say_why(store_url: str, spoil, status: int, code: str) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    key_id, key = create_key(engine, "anna")
    _, token = spoil(engine, key_id, key)
    with pytest.raises(AuthError) as refused:
        authenticate(engine, token)
    assert (refused.value.status, refused.value.code) == (status, code)


def test_an_expired_key_is_refused_with_its_expiry(store_url: str) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    _, key = create_key(engine, "anna", expires_at=utcnow() - timedelta(minutes=1))
    with pytest.raises(
        AuthError, match=r"ist am \d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr \(.+\) abgelaufen"
    ):
        authenticate(engine, key)
    _, later = create_key(engine, "anna", expires_at=utcnow() + timedelta(days=1))
    assert authenticate(engine, later).user == "anna"


def test_admin_mistakes_are_input_errors(store_url: str) -> None:
    engine = open_store(store_url)
    add_user(engine, "anna")
    with pytest.raises(InputError, match="gibt es schon"):
        add_user(engine, "anna")
    with pytest.raises(InputError, match="keine Gruppe „nirgends“"):
        add_user(engine, "bert", ("nirgends",))
    with pytest.raises(InputError, match="keine Person „zoe“"):
        create_key(engine, "zoe")
    with pytest.raises(InputError, match="kein aktiver Schlüssel"):
        revoke_key(engine, "000000000000")


def test_names_say_what_is_wrong_with_them_on_either_store(store_url: str) -> None:
    """A 300-character key name was a traceback on PostgreSQL (varchar(200)) and stored on
    SQLite; control characters were stored."""
    engine = open_store(store_url)
    with pytest.raises(InputError, match="der Gruppenname ist leer"):
        add_group(engine, "  ")
    with pytest.raises(InputError, match=r"der Name der Person „a\\x01b“ enthält ein Steuerzeich"):
        add_user(engine, "a\x01b")
    add_user(engine, "anna")
    with pytest.raises(InputError, match=r"Schlüsselname \(--name\) hat 300 Zeichen, .* 200"):
        create_key(engine, "anna", name="x" * 300)
    create_key(engine, "anna", name="y" * 200)
    assert list_keys(engine)[0]["name"] == "y" * 200
