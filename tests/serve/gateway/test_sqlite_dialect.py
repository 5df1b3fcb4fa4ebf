"""The gateway's SQLite dialect (`sqlite_dialect.py`): the BEGINs and cursor closing that were
engine events, without the event dispatch SQLAlchemy ran around every statement for them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from gemeingut.serve.gateway.identity import add_user
from gemeingut.serve.gateway.store import open_store, reading, writing
from gemeingut.serve.gateway.tables import users


def test_the_engine_dispatches_no_events_around_its_statements(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "gateway.db"))
    # SQLAlchemy's switch for dispatching before/after each statement and cursor: on as soon
    # as the engine has one listener of its own (its pool's `connect` and `checkin` are not).
    assert not store._has_events


def test_a_write_holds_the_lock_from_its_begin_and_a_read_does_not(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    store = open_store(str(db))
    other = sqlite3.connect(db, timeout=0, isolation_level=None)
    # No statement yet in the write: its BEGIN IMMEDIATE alone takes the lock.
    with writing(store), pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    with reading(store) as conn:
        conn.execute(select(users.c.id)).all()
        other.execute("BEGIN IMMEDIATE")  # a reader leaves the lock to writers
        other.execute("COMMIT")
    other.close()


def test_a_half_read_statement_is_closed_when_its_connection_goes_back(tmp_path: Path) -> None:
    """Its snapshot would fail every later write on that pooled connection once another
    connection has committed ("database is locked" at BEGIN IMMEDIATE, at once)."""
    store = open_store(str(tmp_path / "gateway.db"))
    for name in ("anna", "ben", "carla"):
        add_user(store, name)
    with reading(store) as conn:
        rows = conn.execute(select(users.c.name))
        assert rows.fetchone() is not None  # and left there, half read
    add_user(open_store(str(tmp_path / "gateway.db")), "dora")  # another connection commits
    for _ in range(3):  # whichever pooled connection comes next, each writes
        with writing(store) as conn:
            conn.execute(users.update().where(users.c.name == "anna").values(disabled=False))
