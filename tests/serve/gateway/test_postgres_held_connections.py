"""A gateway database thread keeps its PostgreSQL connection between calls, as it keeps SQLite's
(`store.connections_held`), on a real throwaway cluster.

What the pool's ping at each checkout gave stays: a connection the server ended meanwhile (as
it ends every session when it stops or restarts) is replaced before the next call, not found
by a failing request; one lost during a call fails that call alone (a 503 over HTTP) and the
next gets a fresh one. Between calls no transaction stays open, and reservations from several
processes, each with its threads' held connections, never overshoot a limit.
"""

from __future__ import annotations

import asyncio
import select
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError

from gemeingut.serve.gateway.database_thread import DatabaseThreads
from gemeingut.serve.gateway.identity import authenticate
from gemeingut.serve.gateway.quotas import QuotaExceeded, reserve, usage
from gemeingut.serve.gateway.store import open_store, reading, writing
from tests.serve.gateway.conftest import fresh_database
from tests.serve.gateway.test_quotas import NOON, granted_across_processes


@pytest.fixture
def pg_url(postgres_url: str, request: pytest.FixtureRequest) -> str:
    return fresh_database(postgres_url, f"h{abs(hash(request.node.nodeid)) % 10**9}")


@pytest.fixture
def store(pg_url: str) -> Iterator[Engine]:
    engine = open_store(pg_url)
    with writing(engine) as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    engine.dispose()


@pytest.fixture
def admin(pg_url: str) -> Iterator[Engine]:
    """Another session on the same cluster: it looks at and ends the gateway's sessions."""
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def in_thread(threads: DatabaseThreads, *calls: Callable[[], object]) -> list[object]:
    async def main() -> list[object]:
        return [await threads.call(call) for call in calls]

    return asyncio.run(main())


def write(engine: Engine, n: int) -> Callable[[], int]:
    """Insert `n`; the session's process id on the server."""

    def call() -> int:
        with writing(engine) as conn:
            conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()

    return call


def count(engine: Engine) -> Callable[[], tuple[int, int]]:
    """The rows of t and the session's process id."""

    def call() -> tuple[int, int]:
        with reading(engine) as conn:
            return tuple(conn.execute(text("SELECT count(*), pg_backend_pid() FROM t")).one())

    return call


def state(admin: Engine, pid: int) -> str | None:
    with admin.connect() as conn:
        found = conn.execute(text("SELECT state FROM pg_stat_activity WHERE pid = :p"), {"p": pid})
        return found.scalar_one_or_none()


def end_session(admin: Engine, pid: int) -> None:
    """`pg_terminate_backend`: the server sends the session its FATAL error and closes it, as
    it does with every session when it stops (`pg_ctl stop`, also at a restart)."""
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
    deadline = time.monotonic() + 30
    while state(admin, pid) is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert state(admin, pid) is None


def test_one_checkout_for_many_calls_and_no_transaction_left_open_between_them(
    store: Engine, admin: Engine
) -> None:
    checkouts: list[int] = []
    event.listen(store.pool, "checkout", lambda *_: checkouts.append(1))
    threads = DatabaseThreads(1)
    pids = set()
    for n in range(5):
        pids.add(in_thread(threads, write(store, n))[0])
        (pid,) = pids
        assert state(admin, pid) == "idle"  # not "idle in transaction": committed
        rows, pid = in_thread(threads, count(store))[0]
        assert rows == n + 1 and state(admin, pid) == "idle"  # the read rolled back
    in_thread(threads, refused(store))  # a Python error (a quota's 429) in the transaction
    assert state(admin, pid) == "idle"  # rolled back
    assert len(checkouts) == 1 and len(pids) == 1
    threads.close()
    assert store.pool.checkedout() == 0


def refused(engine: Engine) -> Callable[[], str]:
    """A write that Python refuses midway, as a reservation refuses over its limit."""

    def call() -> str:
        try:
            with writing(engine) as conn:
                conn.execute(text("INSERT INTO t VALUES (99)"))
                raise LookupError("over the limit")
        except LookupError as error:
            return str(error)

    return call


def test_a_message_between_calls_costs_a_ping_not_the_connection(
    store: Engine, admin: Engine
) -> None:
    """A notification makes the held connection's socket readable as a server's farewell
    does: the connection is asked, kept, and left with no transaction open, also where the
    next use runs no statement."""

    def listen() -> tuple[int, int]:
        with writing(store) as conn:
            conn.execute(text("LISTEN gemeingut_test"))
            driver = conn.connection.driver_connection
            return driver.info.backend_pid, driver.fileno()

    def nothing() -> None:
        with reading(store):
            pass

    threads = DatabaseThreads(1)
    pid, socket = in_thread(threads, listen)[0]
    with admin.connect() as conn:
        conn.execute(text("NOTIFY gemeingut_test"))
    poller = select.poll()
    poller.register(socket, select.POLLIN)
    assert poller.poll(30_000), "the notification did not come"
    in_thread(threads, nothing)
    assert state(admin, pid) == "idle"  # not "idle in transaction" after the ping
    assert in_thread(threads, count(store))[0][1] == pid  # the same connection, kept
    threads.close()


def test_a_session_the_server_ended_between_calls_is_replaced_before_the_next(
    store: Engine, admin: Engine
) -> None:
    threads = DatabaseThreads(1)
    first = in_thread(threads, write(store, 1))[0]
    end_session(admin, first)
    rows, second = in_thread(threads, count(store))[0]  # no error: found ended, replaced
    assert rows == 1 and second != first
    end_session(admin, second)
    assert in_thread(threads, write(store, 2))[0] not in (first, second)
    threads.close()


def test_a_session_ended_during_a_call_fails_that_call_alone(store: Engine, admin: Engine) -> None:
    def ended_midway() -> None:
        with writing(store) as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            end_session(admin, conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
            conn.execute(text("INSERT INTO t VALUES (2)"))

    async def main() -> tuple[int, int]:
        with pytest.raises(OperationalError):
            await threads.call(ended_midway)
        return await threads.call(count(store))

    threads = DatabaseThreads(1)
    assert asyncio.run(main())[0] == 0  # nothing of the failed call committed
    threads.close()
    assert store.pool.checkedout() == 0


def reserve_in_threads(url: str, key: str, attempts: int, tokens: int) -> int:
    """In its own process, as a PostgreSQL gateway makes them: `attempts` reservations at once
    through 8 database threads, each holding its connection; how many were granted."""
    engine = open_store(url)
    principal = authenticate(engine, key)
    threads = DatabaseThreads(8)

    def attempt() -> bool:
        try:
            reserve(engine, principal, tokens, stream=False, now=NOON)
        except QuotaExceeded:
            return False
        return True

    async def main() -> int:
        return sum(await asyncio.gather(*(threads.call(attempt) for _ in range(attempts))))

    try:
        return asyncio.run(main())
    finally:
        threads.close()
        engine.dispose()


def test_reservations_from_several_processes_with_held_connections_never_overshoot(
    pg_url: str,
) -> None:
    assert granted_across_processes(pg_url, reserve_in_threads) == 1_000 // 70
    today = usage(open_store(pg_url), "group", "schule", NOON)
    assert today["tokens_reserved"] == 14 * 70
