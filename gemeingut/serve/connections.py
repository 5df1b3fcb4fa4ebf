"""Connections that send their request headers too slowly are closed.

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
from uvicorn.protocols.http.h11_impl import H11Protocol

DEFAULT_HEADER_TIMEOUT = 10.0  # seconds


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers."""

    def __init__(
        self, *args: Any, header_timeout: float = DEFAULT_HEADER_TIMEOUT, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

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


def header_timeout_protocol(seconds: float) -> partial[HeaderTimeoutProtocol]:
    """The protocol for uvicorn's `http=`, with this deadline: a partial of a module's class,
    which a worker process of `serve --workers` can be handed (a class made here could not)."""
    return partial(HeaderTimeoutProtocol, header_timeout=seconds)
