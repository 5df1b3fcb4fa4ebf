"""Connections are bounded, and those that send their request headers too slowly are closed.

Past `max_connections` open connections, the kept-alive connection idle longest gives its
place (as nginx does: idle ones stay open 75 s, see limits.py, and must not lock new clients
out); where none is idle, a new one is answered 503 with `Retry-After`, in OpenAI's error
shape. uvicorn's own bound (`limit_concurrency`) answers plain text instead, and
counts the connections open when a request arrives, so a burst of 60 clients against a bound of
4 was refused all 60: here a connection's place is decided once, when it is made.

uvicorn times out idle keep-alive connections, but not a connection that has not finished its
headers: a client that opens connections and sends a header byte now and then (slowloris)
holds every place `--max-connections` allows, for as long as it likes. Here a connection must
complete its request headers within `header_timeout` seconds of connecting, or of the first
byte of its next request; otherwise it is closed, as nginx's `client_header_timeout` does.

HTTP is parsed by httptools (llhttp, in C), not h11 (in Python): with uvloop, about 1 ms less
of the gateway's CPU per stream (docs/benchmarks.md). llhttp keeps no bound on the size of a
request's headers (h11 refused 2 MB; llhttp read 73 MB of one header): past `MAX_HEADER_BYTES`
the rest is dropped and the request answered 431.
"""

from __future__ import annotations

import asyncio
import itertools
from functools import partial
from typing import Any

from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gemeingut.i18n import _
from gemeingut.serve.guards import refuse

DEFAULT_HEADER_TIMEOUT = 10.0  # seconds
MAX_HEADER_BYTES = 64 * 1024  # a request's target and header fields (nginx allows 4 × 8 KiB)

# The order in which connections fell idle. Not the keep-alive timers' deadlines: uvloop's
# clock is libuv's, in whole milliseconds and read once per loop turn, so two connections that
# fell idle a moment apart had equal deadlines and the newer one could be closed.
_idle_order = itertools.count()


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (llhttp, C) with a deadline for each request's headers."""

    def __init__(
        self,
        *args: Any,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
        max_connections: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self.max_connections = max_connections
        self._header_deadline: asyncio.TimerHandle | None = None
        self._in_headers = True  # until a request's headers are complete
        self._header_bytes = 0
        self._idle_since = 0  # its place in `_idle_order`, from its last response

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        full = self.max_connections is not None and len(self.connections) > self.max_connections
        if full and not self._close_longest_idle():
            self.app = _busy  # its requests are answered 503; the connection then closes
        self._arm()

    def _close_longest_idle(self) -> bool:
        """Close the kept-alive connection that has waited longest for its next request, as
        uvicorn's keep-alive timeout would; False where every connection is busy (or slow)."""
        idle = [
            other
            for other in self.connections
            if other is not self
            and getattr(other, "timeout_keep_alive_task", None) is not None
            and not other.transport.is_closing()
        ]
        if not idle:
            return False
        min(idle, key=lambda other: other._idle_since).timeout_keep_alive_handler()
        return True

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:  # kept alive, waiting for a next request
            self._idle_since = next(_idle_order)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._header_bytes = 0
        if self._header_deadline is None:
            self._arm()  # the first bytes of the next request on a kept-alive connection

    def on_url(self, url: bytes) -> None:
        if self._within(len(url)):
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._within(len(name) + len(value)):
            super().on_header(name, value)

    def _within(self, size: int) -> bool:
        """Whether the request's headers, `size` bytes more, are still within the bound;
        past it, the request is answered 431 and the connection then closes."""
        self._header_bytes += size
        if self._header_bytes <= MAX_HEADER_BYTES:
            return True
        self.app = _headers_too_large
        return False

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._disarm()  # the headers are in: the request runs without this deadline
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._header_deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _too_slow(self) -> None:
        self._header_deadline = None
        if self._in_headers and not self.transport.is_closing():
            self.transport.close()


async def _busy(scope: Scope, receive: Receive, send: Send) -> None:
    await refuse(
        scope,
        receive,
        send,
        503,
        _("the server has as many connections open as it takes; try again shortly"),
        "too_many_connections",
        {"Retry-After": "1", "Connection": "close"},
    )


async def _headers_too_large(scope: Scope, receive: Receive, send: Send) -> None:
    await refuse(
        scope,
        receive,
        send,
        431,
        _(
            "the request's headers are larger than {size} KiB; send a shorter request",
            size=str(MAX_HEADER_BYTES // 1024),
        ),
        "headers_too_large",
        {"Connection": "close"},
    )


def bounded_protocol(header_timeout: float, max_connections: int) -> partial[HeaderTimeoutProtocol]:
    """The protocol for uvicorn's `http=`, with these bounds: a partial of a module's class,
    which a worker process of `serve --workers` can be handed (a class made here could not)."""
    return partial(
        HeaderTimeoutProtocol, header_timeout=header_timeout, max_connections=max_connections
    )
