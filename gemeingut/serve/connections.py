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
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import h11
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from gemeingut.i18n import _
from gemeingut.serve.guards import refuse

DEFAULT_HEADER_TIMEOUT = 10.0  # seconds


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers."""

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
        min(
            idle, key=lambda other: other.timeout_keep_alive_task.when()
        ).timeout_keep_alive_handler()
        return True

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the headers are in: the request runs without this deadline
        elif self._header_deadline is None:
            self._arm()  # the first bytes of the next request on a kept-alive connection

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
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
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


def bounded_protocol(header_timeout: float, max_connections: int) -> partial[HeaderTimeoutProtocol]:
    """The protocol for uvicorn's `http=`, with these bounds: a partial of a module's class,
    which a worker process of `serve --workers` can be handed (a class made here could not)."""
    return partial(
        HeaderTimeoutProtocol, header_timeout=header_timeout, max_connections=max_connections
    )
