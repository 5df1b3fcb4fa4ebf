"""Connection pools closed when the event loop they belong to ends.

A pool's connections belong to the event loop it was opened in. The app's stop step (its
lifespan) closes its backends' pools, but a loop can end without it: uvicorn skips that step on
a second Ctrl+C and when it serves with `lifespan="off"` (as the tests serve apps), and a
script's `asyncio.run` may never call `aclose`. A pool left open is a warning ("Unclosed client
session") and sockets held until the garbage collector finds them. `asyncio.run`, which uvicorn
runs on, closes every asynchronous generator still open when its tasks have ended, while the
loop still runs: one that closes the pool as it is closed closes it in its own loop, however
the loop ends, also where the pool was opened while the tasks were being cancelled (a stream
cut short counts its tokens on the way out).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable


async def closed_with_loop(close: Callable[[], Awaitable[object]]) -> AsyncGenerator[None, None]:
    """A started asynchronous generator of the running loop that calls `close` when it is
    closed: at the loop's end, or by its owner's `aclose()` first (`close` must then do nothing
    the second time, as aiohttp's and httpx2's do). The owner keeps it: the loop holds its
    generators weakly, and one collected early would close its pool then."""
    closing = _closing(close)
    await anext(closing)
    return closing


async def _closing(close: Callable[[], Awaitable[object]]) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await close()
