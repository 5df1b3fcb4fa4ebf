"""A gateway database thread keeps its SQLite connection between calls (`store.connections_held`).

What callers rely on stays: each `writing` and `reading` is one transaction of its own (the
same BEGINs), no half-read statement keeps a snapshot that would fail the thread's next write,
a use within another gets a connection of its own, one that failed in the database goes back
to the pool, and a thread that ends gives its connection back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError

from gemeingut.serve.gateway import database_thread
from gemeingut.serve.gateway.database_thread import DatabaseThreads
from gemeingut.serve.gateway.store import open_store, reading, writing


def checkouts(engine: Engine) -> list[str]:
    """One entry per pool checkout and per BEGIN from now on."""
    seen: list[str] = []
    event.listen(engine.pool, "checkout", lambda *_: seen.append("checkout"))
    event.listen(engine, "begin", lambda *_: seen.append("BEGIN"))
    return seen


def in_thread(threads: DatabaseThreads, *calls: Callable[[], object]) -> list[object]:
    """Each call in turn in `threads`, as the gateway makes them."""

    async def main() -> list[object]:
        return [await threads.call(call) for call in calls]

    return asyncio.run(main())


@pytest.fixture
def store(tmp_path: Path) -> Engine:
    engine = open_store(str(tmp_path / "g.db"))
    with writing(engine) as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1), (2), (3)"))
    yield engine
    engine.dispose()


def write(engine: Engine, n: int) -> Callable[[], None]:
    def call() -> None:
        with writing(engine) as conn:
            conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})

    return call


def count(engine: Engine) -> Callable[[], int]:
    def call() -> int:
        with reading(engine) as conn:
            return conn.execute(text("SELECT count(*) FROM t")).scalar_one()

    return call


def test_one_checkout_for_many_calls_each_its_own_transaction(store: Engine) -> None:
    seen = checkouts(store)
    calls = [write(store, n) if n % 2 else count(store) for n in range(10)]
    results = in_thread(DatabaseThreads(1), *calls)
    assert results[-2] == 3 + 4  # each write committed: the reads after it see it
    assert seen == ["checkout"] + ["BEGIN"] * 10


def test_a_half_read_statement_keeps_no_snapshot_for_the_next_write(store: Engine) -> None:
    left: list[object] = []  # the result, kept: a cursor that is gone lets go by itself

    def half_read() -> int:
        with reading(store) as conn:
            left.append(conn.execute(text("SELECT n FROM t")))
            return left[0].fetchone()[0]  # two rows left unread

    threads = DatabaseThreads(1)
    assert in_thread(threads, half_read) == [1]
    write(store, 10)()  # another connection commits meanwhile
    in_thread(threads, write(store, 11))  # "database is locked" where the snapshot stayed
    assert in_thread(threads, count(store)) == [5]


def test_a_use_within_another_gets_its_own_connection(store: Engine) -> None:
    def nested() -> int:
        with reading(store) as outer:
            before = outer.execute(text("SELECT count(*) FROM t")).scalar_one()
            write(store, 7)()
        return before

    seen = checkouts(store)
    assert in_thread(DatabaseThreads(1), nested, count(store)) == [3, 4]
    assert seen.count("checkout") == 2  # the inner one's, kept after it; the outer one closed


def test_a_connection_that_failed_goes_back_and_a_fresh_one_follows(store: Engine) -> None:
    def fails() -> None:
        with writing(store) as conn:
            conn.execute(text("INSERT INTO missing VALUES (1)"))

    async def main() -> int:
        with pytest.raises(OperationalError):
            await threads.call(fails)
        return await threads.call(count(store))

    threads = DatabaseThreads(1)
    seen = checkouts(store)
    assert asyncio.run(main()) == 3
    assert seen.count("checkout") == 2


def test_a_thread_that_ends_gives_its_connection_back(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database_thread, "IDLE_SECONDS", 0.05)
    in_thread(DatabaseThreads(1), count(store))
    deadline = time.monotonic() + 30
    while store.pool.checkedout() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert store.pool.checkedout() == 0


def test_closing_the_threads_gives_their_connection_back_at_once(store: Engine) -> None:
    """At shutdown (`Gateway.close`) a waiting thread does not hold its connection until it
    would end by itself: SQLite removes its write-ahead log only with the last connection."""
    threads = DatabaseThreads(1)
    assert in_thread(threads, count(store)) == [3]
    assert store.pool.checkedout() == 1  # held while the thread waits for the next call
    threads.close()
    assert store.pool.checkedout() == 0
