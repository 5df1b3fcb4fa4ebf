"""The gateway's database calls run in threads of its own (`database_thread.py`), not anyio's.

What the routes rely on: each call's result or exception comes back to its caller as soon as
the call has ended, the call sees the caller's context (the HTTP request's id, its audit
trail), a SQLite gateway's writes run one after another in one thread, a caller cancelled
meanwhile is cancelled only once its call has ended, threads idle for long end and start
again with the next call, and a settle's pauses between attempts leave the thread free.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path

import anyio
import pytest
from sqlalchemy import event, text

from gemeingut.serve.gateway import database_thread
from gemeingut.serve.gateway.database_thread import DatabaseThreads
from gemeingut.serve.gateway.gate import Admission, Gateway
from gemeingut.serve.gateway.identity import add_user, authenticate, create_key, utcnow
from gemeingut.serve.gateway.quotas import reserve, set_limits, usage
from gemeingut.serve.gateway.store import open_store

WHO: ContextVar[str] = ContextVar("who", default="nobody")


def test_many_callers_get_their_own_results_from_one_thread() -> None:
    threads = DatabaseThreads(1)
    ran_in: set[str] = set()

    def work(n: int) -> tuple[int, str]:
        ran_in.add(threading.current_thread().name)
        if n % 7 == 0:
            raise ValueError(n)
        return n * n, WHO.get()

    async def caller(n: int) -> object:
        WHO.set(f"request {n}")
        try:
            return await threads.call(work, n)
        except ValueError as error:
            return error.args

    async def main() -> list[object]:
        return await asyncio.gather(*(caller(n) for n in range(1, 65)))

    got = asyncio.run(main())
    assert got == [(n,) if n % 7 == 0 else (n * n, f"request {n}") for n in range(1, 65)]
    assert len(ran_in) == 1 and threading.current_thread().name not in ran_in


def test_a_sqlite_gateway_has_one_thread(tmp_path) -> None:
    gateway = Gateway(open_store(str(tmp_path / "g.db")))
    assert gateway.database.most == 1


def held_until_released(
    what: str,
) -> tuple[threading.Event, threading.Event, list[str], Callable[[], str]]:
    """A call that runs until released (a write that waits for a lock): the events it sets
    when it starts and waits for, what has ended so far, and the call."""
    started, release = threading.Event(), threading.Event()
    ended: list[str] = []

    def call() -> str:
        started.set()
        release.wait(timeout=30)
        ended.append(what)
        return what

    return started, release, ended, call


def test_a_cancelled_caller_waits_for_its_call_to_end() -> None:
    threads = DatabaseThreads(1)
    started, release, ended, reserve = held_until_released("reserved")

    async def main() -> None:
        task = asyncio.create_task(threads.call(reserve))
        await asyncio.to_thread(started.wait, 30)
        task.cancel()
        await asyncio.sleep(0)
        assert not task.done()  # the reservation is still being made
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert ended == ["reserved"]  # known before the caller was cancelled

    asyncio.run(main())


def test_an_idle_thread_ends_and_the_next_call_starts_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(database_thread, "IDLE_SECONDS", 0.01)
    threads = DatabaseThreads(1, name="idle-test")

    def alive() -> int:
        return sum(t.name == "idle-test" for t in threading.enumerate())

    async def main() -> None:
        assert await threads.call(alive) == 1
        for _ in range(500):  # its idle time passes
            if alive() == 0:
                break
            await asyncio.sleep(0.01)
        assert alive() == 0
        assert await threads.call(alive) == 1

    asyncio.run(main())


def test_a_caller_in_a_cancelled_anyio_scope_waits_for_its_call_to_end() -> None:
    """anyio's cancel scopes (Starlette's, the server's) cancel a task again at every turn of
    the loop: the caller still ends only once its call has."""
    threads = DatabaseThreads(1)
    started, release, ended, settle = held_until_released("settled")

    async def main() -> None:
        async def cancelled_caller() -> None:
            with anyio.CancelScope() as scope:
                waiting = asyncio.ensure_future(threads.call(settle))
                await asyncio.to_thread(started.wait, 30)
                scope.cancel()
                await waiting
            seen.append(list(ended))

        seen: list[list[str]] = []
        task = asyncio.create_task(cancelled_caller())
        for _ in range(20):  # anyio cancels at each of these turns
            await asyncio.sleep(0)
        assert not task.done()  # the settlement is still being made
        release.set()
        await task
        assert seen == [["settled"]]

    asyncio.run(main())


def test_a_caller_cancelled_as_its_outcome_arrives_ends() -> None:
    """The call's outcome reaches the loop in the same turn as its caller's cancellation,
    ahead of it: the caller is cancelled, and does not wait for an outcome already given."""
    threads = DatabaseThreads(1)
    started, release, reported = threading.Event(), threading.Event(), threading.Event()

    def reserve() -> str:
        started.set()
        release.wait(timeout=30)
        return "reserved"

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.create_task(threads.call(reserve))
        await asyncio.to_thread(started.wait, 30)
        threadsafe = loop.call_soon_threadsafe

        def noting(*args: object, **kwargs: object) -> object:  # what the thread hands back
            handle = threadsafe(*args, **kwargs)
            reported.set()
            return handle

        loop.call_soon_threadsafe = noting  # type: ignore[method-assign]
        release.set()
        assert reported.wait(timeout=30)  # the loop stands still: the outcome is queued
        task.cancel()  # its wake-up comes after the outcome
        for _ in range(10):
            await asyncio.sleep(0)
        assert task.done() and task.cancelled()

    asyncio.run(main())


def test_a_waiting_thread_keeps_nothing_of_the_last_call() -> None:
    """What a call was run with (a request's gateway, its admission with logged content) is
    let go once its caller has the result, not kept while the thread waits for the next."""
    threads = DatabaseThreads(1)

    class Admission:
        pass

    def finish(admission: Admission) -> str:
        return "settled"

    async def main() -> weakref.ref:
        admission = Admission()
        assert await threads.call(finish, admission) == "settled"
        return weakref.ref(admission)

    kept = asyncio.run(main())
    gc.collect()
    assert kept() is None


def test_a_result_is_not_held_back_by_the_next_call() -> None:
    """A call's result reaches its caller as soon as it has ended, also while the thread runs
    the next call (one that waits for another process's lock for up to its busy timeout)."""
    threads = DatabaseThreads(1)
    go, release = threading.Event(), threading.Event()
    ended: list[str] = []

    def blocked() -> None:
        release.wait(timeout=10)
        ended.append("blocked")

    async def main() -> None:
        holding = asyncio.ensure_future(threads.call(go.wait, 30))
        quick = asyncio.ensure_future(threads.call(str.upper, "quick"))
        later = asyncio.ensure_future(threads.call(blocked))
        await asyncio.sleep(0)  # all three queued, behind the first
        go.set()
        assert await quick == "QUICK"
        assert ended == []  # the call after it still runs
        release.set()
        await asyncio.gather(holding, later)
        assert ended == ["blocked"]

    asyncio.run(main())


def test_a_call_nobody_awaits_runs_and_its_error_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    threads = DatabaseThreads(1)
    ran: list[str] = []

    def broken() -> None:
        ran.append(WHO.get())
        raise RuntimeError("kaputt")

    async def main() -> None:
        WHO.set("request 7")
        threads.submit(broken)
        await threads.call(ran.append, "after")  # one thread: it ran before

    with caplog.at_level("ERROR", logger="gemeingut.serve"):
        asyncio.run(main())
    assert ran == ["request 7", "after"]
    assert "broken" in caplog.text and "kaputt" in caplog.text


def counters_away_until_first_failure(
    gateway: Gateway, url: str, loop: asyncio.AbstractEventLoop
) -> list[asyncio.Future]:
    """Rename the quota counters away from another connection, so that the next settle fails
    for real. Its failure (in the database thread) has the loop queue a call that puts them
    back, before the loop hears of the failed attempt; returned: that call, once queued."""
    other = open_store(url)
    with other.begin() as conn:
        conn.execute(text("ALTER TABLE usage_counters RENAME TO usage_counters_away"))
    queued: list[asyncio.Future] = []

    def restore() -> str:
        with other.begin() as conn:
            conn.execute(text("ALTER TABLE usage_counters_away RENAME TO usage_counters"))
        other.dispose()
        return "restored"

    def queue() -> None:
        queued.append(asyncio.ensure_future(gateway.call(restore)))

    def failed(_context: object) -> None:
        if not failed.seen:  # type: ignore[attr-defined]
            failed.seen = True  # type: ignore[attr-defined]
            loop.call_soon_threadsafe(queue)

    failed.seen = False  # type: ignore[attr-defined]
    event.listen(gateway.engine, "handle_error", failed)
    return queued


def reserved_admission(tmp_path: Path) -> tuple[Gateway, Admission, str]:
    """A SQLite gateway (one database thread) and anna's admission with 4,000 tokens reserved."""
    url = str(tmp_path / "g.db")
    engine = open_store(url)
    add_user(engine, "anna", ())
    principal = authenticate(engine, create_key(engine, "anna")[1])
    set_limits(engine, "user", "anna", tokens_per_day=10_000)
    gateway = Gateway(engine)
    reservation = reserve(engine, principal, 4_000, stream=False, now=utcnow())
    return gateway, Admission(gateway, principal, "/v1/completions", "tiny", reservation), url


def test_a_retried_settle_pauses_outside_the_database_thread(tmp_path: Path) -> None:
    """The call that ends the failure is queued behind the failed attempt: the thread runs it
    during the pause, and the next attempt settles (a pause in the thread ran every attempt
    first, and the request was a 503)."""
    gateway, admission, url = reserved_admission(tmp_path)

    async def main() -> None:
        queued = counters_away_until_first_failure(gateway, url, asyncio.get_running_loop())
        await admission.settle(200, 30, 70)
        assert [await call for call in queued] == ["restored"]

    asyncio.run(main())
    today = usage(gateway.engine, "user", "anna", utcnow())
    assert today["tokens_today"] == 100 and today["tokens_reserved"] == 0


def test_a_settle_cancelled_before_its_retry_still_settles(tmp_path: Path) -> None:
    """A stream's end whose caller is cancelled (the server stops, the client left) after a
    failed attempt: the retries go on, and the caller is cancelled once they have ended."""
    gateway, admission, url = reserved_admission(tmp_path)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queued = counters_away_until_first_failure(gateway, url, loop)
        settling = asyncio.ensure_future(admission.settle(200, 30, 70))

        def cancel(_context: object) -> None:  # while its first attempt fails, in the thread
            loop.call_soon_threadsafe(settling.cancel)  # the loop hears of it before the attempt

        event.listen(gateway.engine, "handle_error", cancel)
        with pytest.raises(asyncio.CancelledError):
            await settling
        assert [await call for call in queued] == ["restored"]

    asyncio.run(main())
    today = usage(gateway.engine, "user", "anna", utcnow())
    assert today["tokens_today"] == 100 and today["tokens_reserved"] == 0


def test_calls_queued_at_once_behind_an_idle_thread_get_threads_of_their_own() -> None:
    """Two calls queued in one turn of the loop while one thread waits idle: the second does
    not wait behind the first (a write that waits for a lock), where more threads may run."""
    threads = DatabaseThreads(2)
    quick_ran = threading.Event()

    def held() -> bool:
        return quick_ran.wait(timeout=30)  # True: the quick call ran beside it

    async def main() -> bool:
        await threads.call(str, "the first thread, idle after it")
        both = asyncio.gather(threads.call(held), threads.call(quick_ran.set))
        ran_beside, _ = await both
        return ran_beside

    assert asyncio.run(main())
