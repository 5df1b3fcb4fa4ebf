"""The gateway's database calls from the event loop, run by threads of its own.

A request's calls (its key, its quota with its record, its settlement) take a few hundred
microseconds of database work each. Handed to anyio's worker threads, each call also paid for
anyio's machinery around it (a checkpoint, the capacity limiter, a cancel scope, a
`queue.Queue` per worker whose Python-level `Condition` wakes it) and for one wake-up of the
event loop per result: about a quarter of a profile of the gateway under 64 streams
(docs/benchmarks.md). Here a call is put on a C `SimpleQueue` that the gateway's own threads
take from. Each outcome is handed to its event loop as soon as its call has ended (a caller
never waits for another call to run); only the first outcome wakes the loop, and those that
end before the loop has woken ride along (`Inbox`).

The gateway keeps two sets (`gate.Gateway`): one for writes, and one for reads that must not
queue behind them (the key of each request: SQLite's WAL lets it read while a write waits for
another process's lock). SQLite's writes get one thread: they queue for one lock per process
anyway (`store.writing`). PostgreSQL gets several, since its statements wait on the network
and its row locks let writes of different rows go on at once. Each call runs in the context
of its caller (the HTTP request's id, its audit trail), as `run_in_threadpool` runs it. A
caller that is cancelled meanwhile is so once its call has ended (a reservation is never
half-known), however often it is cancelled (anyio's cancel scopes cancel again at every turn
of the loop) and also where its outcome reached the loop in the same turn as its
cancellation; `to_the_end` gives work of several calls in the loop the same guarantee.
Threads end after `IDLE_SECONDS` without work and start again with the next call, so a
gateway that is gone leaves none behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import threading
import weakref
from collections.abc import Callable, Coroutine
from queue import Empty, SimpleQueue
from typing import Any, TypeVar

import anyio
from sqlalchemy.exc import SQLAlchemyError

from gemeingut.i18n import _, text
from gemeingut.serve.database_failures import log_database_failure
from gemeingut.serve.gateway.store import connections_held

log = logging.getLogger("gemeingut.serve")
IDLE_SECONDS = 10.0
T = TypeVar("T")


class Outcome:
    """Where a call's outcome goes: the future its caller awaits now (a fresh one after each
    cancellation), whether the call has ended, and the caller's loop with its inbox."""

    __slots__ = ("ended", "inbox", "loop", "waiter")

    def __init__(self, loop: asyncio.AbstractEventLoop, inbox: Inbox) -> None:
        self.waiter = loop.create_future()
        self.ended = False
        self.loop = loop
        self.inbox = inbox


Ended = tuple[Outcome, object, BaseException | None]  # where it goes, its result, its error


class Inbox:
    """The outcomes on their way to one event loop. The first wakes the loop; those that end
    before the loop has taken them go with it: one wake-up for many outcomes where the loop
    is busy, none held back where it is not."""

    __slots__ = ("_ended", "_lock", "_waking")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ended: list[Ended] = []
        self._waking = False

    def put(self, loop: asyncio.AbstractEventLoop, ended: Ended) -> None:
        """In a database thread: hand one outcome to `loop`."""
        with self._lock:
            self._ended.append(ended)
            if self._waking:
                return
            self._waking = True
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits for these
            loop.call_soon_threadsafe(self._deliver)

    def _deliver(self) -> None:
        """In the event loop: every outcome that has come, each to the future its caller
        awaits now."""
        with self._lock:
            ended, self._ended = self._ended, []
            self._waking = False
        for outcome, result, error in ended:
            outcome.ended = True
            done = outcome.waiter
            if done.done():  # cancelled: its caller sees `ended` when it wakes
                continue
            if error is not None:
                done.set_exception(error)
            else:
                done.set_result(result)


# One per event loop, shared by all sets of threads (a gateway's reads and writes): one
# wake-up of the loop carries the outcomes of both.
_INBOXES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Inbox] = weakref.WeakKeyDictionary()

# A call as queued: its context, the function with its arguments, where its outcome goes
# (None for a call nobody awaits, see `submit`).
Call = tuple[contextvars.Context, Callable[..., Any], tuple, Outcome | None]
_CLOSE: Call = (contextvars.Context(), print, (), None)  # a thread that takes it ends (`close`)


class DatabaseThreads:
    """`threads` threads that run the calls of one database, in the order they come."""

    def __init__(self, threads: int, name: str = "gemeingut-database") -> None:
        self.most = threads
        self.name = name
        self._calls: SimpleQueue[Call] = SimpleQueue()
        self._lock = threading.Lock()
        self._running = 0
        self._idle = 0  # threads waiting for a call
        self._threads: set[threading.Thread] = set()

    async def call(self, func: Callable[..., T], *args: object) -> T:
        """`func(*args)` in one of the threads; its result or its exception."""
        loop = asyncio.get_running_loop()
        inbox = _INBOXES.get(loop)
        if inbox is None:
            inbox = _INBOXES[loop] = Inbox()
        outcome = Outcome(loop, inbox)  # where the thread's outcome goes
        self._calls.put((contextvars.copy_context(), func, args, outcome))
        self._start()
        try:
            return await outcome.waiter
        except asyncio.CancelledError:
            # The call runs on: its end is awaited before this ends, shielded from anyio's
            # scopes, as anyio's own thread calls are; asyncio's cancellations are outwaited.
            with anyio.CancelScope(shield=True):
                while not outcome.ended:
                    outcome.waiter = loop.create_future()
                    with contextlib.suppress(BaseException):  # its error, or a cancellation
                        await outcome.waiter
            raise

    def submit(self, func: Callable[..., object], *args: object) -> None:
        """`func(*args)` in one of the threads, for a caller that does not wait for it (a
        key's last use); its error goes to the server log."""
        self._calls.put((contextvars.copy_context(), func, args, None))
        self._start()

    def _start(self) -> None:
        """A thread for the call just queued, unless a waiting thread is left for it (calls
        queued in one turn of the loop each need one: an idle thread wakes only after them).
        Looked at under the lock: a thread that ends looks at the queue under it (`_wait`), so
        one of the two sees the call."""
        with self._lock:
            if self._idle >= self._calls.qsize() or self._running >= self.most:
                return
            self._running += 1
            thread = threading.Thread(target=self._work, name=self.name, daemon=True)
            self._threads.add(thread)
        thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """At shutdown: each thread ends after the calls queued before, giving back the
        connections it holds (`connections_held`), so that the database closes whole: SQLite
        removes its write-ahead log only when its last connection closes."""
        with self._lock:
            threads = list(self._threads)
        for _thread in threads:
            self._calls.put(_CLOSE)
        for thread in threads:
            thread.join(timeout)
        with self._lock:  # a thread that ended idle meanwhile left its stop: not for the next
            left = []
            while not self._calls.empty():
                call = self._calls.get_nowait()
                if call is not _CLOSE:
                    left.append(call)
            for call in left:
                self._calls.put(call)

    def _work(self) -> None:
        try:
            with connections_held():  # one checkout per thread, not one per call (`store.py`)
                while True:
                    try:
                        call = self._calls.get_nowait()
                    except Empty:
                        call = self._wait()
                        if call is None:  # none came for a while: `_wait` counted the end
                            return
                    if call is _CLOSE:
                        with self._lock:
                            self._running -= 1
                        return
                    _run(call)
                    # Not kept while the thread waits: a request's context, its gateway, its
                    # content.
                    call = None
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _wait(self) -> Call | None:
        """The next call, or None once none came for `IDLE_SECONDS` (the thread then ends;
        a call put just before is still taken: the queue is looked at under the lock)."""
        with self._lock:
            self._idle += 1
        while True:
            try:
                call = self._calls.get(timeout=IDLE_SECONDS)
            except Empty:
                with self._lock:
                    if self._calls.empty():  # a caller that puts one now starts a thread
                        self._running -= 1
                        self._idle -= 1
                        return None
                continue
            with self._lock:
                self._idle -= 1
            return call


def _run(call: Call) -> None:
    """Run one call in its caller's context and hand its outcome to the caller's loop now."""
    context, func, args, outcome = call
    try:
        result = context.run(func, *args)
    except BaseException as error:  # the caller's to handle
        if outcome is None:  # nobody waits for it
            name = getattr(func, "__qualname__", repr(func))
            said = _("the database call {name} failed", name=name)
            if isinstance(error, SQLAlchemyError):  # an outage: one line for all of it
                log_database_failure(log, said, error)
            else:
                log.exception("%s", text(said))
        else:
            outcome.inbox.put(outcome.loop, (outcome, None, error))
        return
    if outcome is not None:
        outcome.inbox.put(outcome.loop, (outcome, result, None))


async def to_the_end(work: Coroutine[Any, Any, T]) -> T:
    """Await `work` (a settlement retried with pauses between its calls); a caller cancelled
    meanwhile is so once `work` has ended, as in `DatabaseThreads.call`."""
    task = asyncio.ensure_future(work)
    cancelled: asyncio.CancelledError | None = None
    while not task.done():
        with anyio.CancelScope(shield=cancelled is not None):
            try:
                await asyncio.wait((task,))
            except asyncio.CancelledError as error:  # the task runs on
                cancelled = error
    if cancelled is not None:
        if not task.cancelled():
            task.exception()  # its error (if any) is not the caller's any more: it was cancelled
        raise cancelled
    return task.result()
