"""Who runs and who waits at the model: `max_running` requests at a time (as many as the backend
can batch together), a bounded number waiting.

Waiting happens in the event loop (an asyncio semaphore): were waiting requests to block in
worker threads, forty of them would use up Starlette's thread pool, and a running stream, which
needs a thread for every next token, would never finish. The queue is bounded: a request beyond
it gets 503 with `Retry-After` at once instead of waiting without end, which is what a load
balancer or a client's retry logic knows how to handle.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from types import TracebackType

from gemeingut.i18n import _, plural
from gemeingut.serve.http_errors import APIError
from gemeingut.serve.limits import DEFAULT_MAX_WAITING


class ModelQueue:
    def __init__(self, max_waiting: int = DEFAULT_MAX_WAITING, max_running: int = 1) -> None:
        self.max_waiting = max_waiting
        self.max_running = max_running
        self.admitted = 0  # running (at most max_running) + waiting
        self._slots = asyncio.Semaphore(max_running)
        self._mean_seconds = 1.0  # a moving mean of how long one turn takes
        self.on_waiting: Callable[[int], None] = lambda waiting: None  # e.g. a metrics gauge

    @property
    def waiting(self) -> int:
        return max(0, self.admitted - self.max_running)

    def is_full(self) -> bool:
        return self.admitted >= self.max_running + self.max_waiting

    def retry_after(self) -> int:
        """Seconds until the queue has likely moved by one place (at least 1)."""
        return max(1, math.ceil(self._mean_seconds))

    def admit(self) -> Ticket:
        """A place in the queue now, or 503: called before any response is started, so that a
        stream is refused with a status code, not inside a 200."""
        if self.is_full():
            seconds = self.retry_after()
            busy = plural(
                self.waiting,
                _("the model is busy (1 request waiting); retry in {seconds} s", seconds=seconds),
                _(
                    "the model is busy ({waiting} requests waiting); retry in {seconds} s",
                    waiting=self.waiting,
                    seconds=seconds,
                ),
            )
            raise APIError(
                503,
                busy,
                code="queue_full",
                type="server_error",
                headers={"Retry-After": str(seconds)},  # the seconds the message says
            )
        self.admitted += 1
        self.on_waiting(self.waiting)
        return Ticket(self)

    def _finished(self, seconds: float | None) -> None:
        self.admitted -= 1
        self.on_waiting(self.waiting)
        if seconds is not None:
            self._mean_seconds = 0.8 * self._mean_seconds + 0.2 * seconds


class Ticket:
    """A place in the queue; `async with ticket:` waits for the turn and gives it back. A ticket
    that is never used must be `release()`d (a response that was never sent)."""

    def __init__(self, queue: ModelQueue) -> None:
        self._queue = queue
        self._done = False
        self._started: float | None = None

    async def __aenter__(self) -> Ticket:
        try:
            await self._queue._slots.acquire()
        except BaseException:
            self.release()
            raise
        self._started = time.monotonic()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._queue._slots.release()
        self.release()

    def release(self) -> None:
        if not self._done:
            self._done = True
            elapsed = None if self._started is None else time.monotonic() - self._started
            self._queue._finished(elapsed)
