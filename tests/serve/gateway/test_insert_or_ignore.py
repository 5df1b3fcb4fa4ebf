"""`store.insert_or_ignore`, on SQLite and PostgreSQL: a row that exists is left as it is, a new
one is added with its columns' defaults, and each call runs the INSERT … ON CONFLICT DO NOTHING
compiled once for its database, table and columns (SQLAlchemy itself compiles its dialects'
INSERTs anew at every execution, which cost more than running them)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import CompileError
from sqlalchemy.sql.compiler import Compiled

from gemeingut.serve.gateway.store import insert_or_ignore, open_store, reading, writing
from gemeingut.serve.gateway.tables import usage_counters


def test_insert_or_ignore_keeps_existing_rows_and_compiles_once(store_url: str) -> None:
    engine = open_store(store_url)
    executed: list[object] = []
    event.listen(engine, "before_execute", lambda _conn, statement, *_: executed.append(statement))
    counter = {"subject_kind": "key", "window": "streams"}
    with writing(engine) as conn:
        insert_or_ignore(conn, usage_counters, subject="k1", **counter)  # used, reserved: 0
        insert_or_ignore(conn, usage_counters, subject="k1", used=5, reserved=5, **counter)
        insert_or_ignore(conn, usage_counters, subject="k2", used=1, reserved=0, **counter)
    with writing(engine) as conn:  # a later transaction, maybe another pooled connection
        insert_or_ignore(conn, usage_counters, subject="k2", used=7, reserved=7, **counter)
    table = usage_counters.c
    with reading(engine) as conn:
        rows = conn.execute(
            select(table.subject, table.used, table.reserved).order_by(table.subject)
        ).all()
    assert [tuple(row) for row in rows] == [("k1", 0, 0), ("k2", 1, 0)]
    assert all(isinstance(statement, Compiled) for statement in executed[:4])
    by_defaults, *given = executed[:4]
    assert all(statement is given[0] for statement in given)  # the same columns: compiled once
    assert by_defaults is not given[0]  # other columns, other SQL
    # In the database's own dialect: SQLite's and PostgreSQL's are kept apart in one process.
    assert given[0].dialect is engine.dialect and "ON CONFLICT DO NOTHING" in str(given[0])


def test_a_column_the_table_lacks_is_an_error_not_left_out(store_url: str) -> None:
    """As `insert(table).values(...)` says it: a misspelt column (`reserve` for `reserved`)
    would otherwise insert the row with the column's default and no word."""
    engine = open_store(store_url)
    with pytest.raises(CompileError, match="reserve"), writing(engine) as conn:
        insert_or_ignore(
            conn, usage_counters, subject="k1", subject_kind="key", window="streams", reserve=5
        )
    with reading(engine) as conn:
        assert conn.execute(select(usage_counters.c.subject)).all() == []
