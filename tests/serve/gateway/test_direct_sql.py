"""`direct_sql.run`, on SQLite and PostgreSQL: a statement handed to the driver reads the rows
SQLAlchemy's `Connection.execute` reads (each value as its type reads it: times, JSON,
booleans; expanding INs of any length, literal lists), writes what it writes, and fails with
SQLAlchemy's exceptions, leaving the transaction to roll back as before."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, bindparam, select
from sqlalchemy.exc import IntegrityError

from gemeingut.serve.gateway.direct_sql import run, run_counted
from gemeingut.serve.gateway.identity import (
    _KEY_WITH_GROUPS,
    add_group,
    add_member,
    add_user,
    create_key,
)
from gemeingut.serve.gateway.quotas import _LIMITS_AND_KEY, _TAKE, set_limits
from gemeingut.serve.gateway.store import open_store, reading, writing
from gemeingut.serve.gateway.tables import audit_log, leases, quota_limits, usage_counters

EXPIRES = datetime(2099, 1, 2, 3, 4, 5, 678901)


@pytest.fixture
def engine(store_url: str) -> Engine:
    engine = open_store(store_url)
    add_user(engine, "anna")
    for group in ("amt", "bau", "chor"):
        add_group(engine, group)
        add_member(engine, "anna", group)
    return engine


def _as_sqlalchemy_reads(engine: Engine, statement: object, parameters: dict) -> list[dict]:
    with reading(engine) as conn:
        return [dict(row) for row in conn.execute(statement, parameters).mappings()]


def test_rows_are_read_as_sqlalchemy_reads_them(engine: Engine) -> None:
    key_id, _ = create_key(engine, "anna", models=("m1", "m2"), expires_at=EXPIRES)
    set_limits(engine, "user", "anna", requests_per_minute=5)
    set_limits(engine, "group", "bau", concurrent_streams=2)
    asked = [
        (_KEY_WITH_GROUPS, {"key_id": key_id}),  # a time, JSON, a boolean; three groups
        (_KEY_WITH_GROUPS, {"key_id": "000000000000"}),  # no row
        (_LIMITS_AND_KEY, {"names": ["anna", "bau"], "key_id": key_id}),
        (_LIMITS_AND_KEY, {"names": ["amt", "anna", "bau", "chor"], "key_id": key_id}),
        (_LIMITS_AND_KEY, {"names": [], "key_id": key_id}),  # an empty IN
        (select(quota_limits).where(quota_limits.c.subject_kind.in_(("group", "user"))), {}),
    ]
    for statement, parameters in asked:
        with reading(engine) as conn:
            rows = run(conn, statement, parameters)
        assert rows == _as_sqlalchemy_reads(engine, statement, parameters), parameters
    with reading(engine) as conn:
        key = run(conn, _KEY_WITH_GROUPS, {"key_id": key_id})
    assert [row["group_name"] for row in key] == ["amt", "bau", "chor"]
    assert key[0]["models"] == ["m1", "m2"] and key[0]["expires_at"] == EXPIRES
    assert key[0]["disabled"] is False


def test_writes_store_what_sqlalchemy_stores(engine: Engine) -> None:
    record = {
        "at": datetime(2026, 12, 6, 22, 30, 1, 5),
        "key_id": "k",
        "route": "/v1/chat/completions",
        "model": "m",
        "status": 200,
        "decision": "allowed",
        "x_request_id": None,
    }
    lease = {"process": "p", "place": None, "tokens": 7, "counters": [["user", "anna", "d"]]}
    with writing(engine) as conn:
        run(conn, audit_log.insert(), record | {"request_id": "direct"})
        conn.execute(audit_log.insert(), record | {"request_id": "sqlalchemy"})
        run(conn, leases.insert(), lease | {"id": "direct"})
        conn.execute(leases.insert(), lease | {"id": "sqlalchemy"})
    stored = _as_sqlalchemy_reads(engine, select(audit_log).order_by(audit_log.c.id), {})
    held = _as_sqlalchemy_reads(engine, select(leases).order_by(leases.c.id), {})
    for rows, name in ((stored, "request_id"), (held, "id")):
        direct, by_sqlalchemy = ({**row, name: None, "id": None} for row in rows)
        assert direct == by_sqlalchemy
    assert held[0]["counters"] == [["user", "anna", "d"]]


def test_an_update_returns_and_counts_as_sqlalchemys(engine: Engine) -> None:
    set_limits(engine, "user", "anna", requests_per_minute=2)
    counter = {"counter_kind": "user", "counter_subject": "anna", "counter_window": "minute:x"}
    limit = {"limit_kind": "user", "limit_subject": "anna", "n": 1}
    with writing(engine) as conn:
        conn.execute(
            usage_counters.insert(),
            {"subject_kind": "user", "subject": "anna", "window": "minute:x", "used": 0},
        )
        taken = [run(conn, _TAKE["requests_per_minute"], counter | limit) for _ in range(3)]
        gone = usage_counters.delete().where(usage_counters.c.window == bindparam("w"))
        counted = (run_counted(conn, gone, {"w": "minute:x"}), run_counted(conn, gone, {"w": "y"}))
    assert taken == [
        [{"used": 1, "reserved": 0, "limit": 2}],
        [{"used": 2, "reserved": 0, "limit": 2}],
        [],  # the limit reached: no row changed, none returned
    ]
    assert counted == (1, 0)


def test_a_driver_error_is_sqlalchemys_and_rolls_back(engine: Engine) -> None:
    record = {
        "at": datetime(2026, 12, 6) + timedelta(seconds=1),
        "request_id": "twice",
        "route": "/v1/chat/completions",
        "status": 200,
        "decision": "allowed",
    }
    with pytest.raises(IntegrityError), writing(engine) as conn:
        run(conn, audit_log.insert(), record)
        run(conn, audit_log.insert(), record)
    assert _as_sqlalchemy_reads(engine, select(audit_log.c.id), {}) == []
    with writing(engine) as conn:  # the connection works on, in a new transaction
        run(conn, audit_log.insert(), record)
    assert len(_as_sqlalchemy_reads(engine, select(audit_log.c.id), {})) == 1


def test_a_column_default_left_to_python_is_refused_not_bound_as_none(engine: Engine) -> None:
    """`Connection.execute` computes a column's Python-side default per statement; the
    prepared form would bind a fixed None in its place (NOT NULL failed), so it refuses."""
    window = {"subject_kind": "user", "subject": "anna", "window": "day:2026-12-06"}
    refused = pytest.raises(TypeError, match="give a value for each column with a default")
    with refused, writing(engine) as conn:
        run(conn, usage_counters.insert(), window)
    with writing(engine) as conn:
        run(conn, usage_counters.insert(), {**window, "used": 0, "reserved": 0})
