"""The server's word that it is ready, said once it answers, and its end after a stop.

„Ready“ is said on stdout when a request would be answered: after the model loaded and the
app's start-up (uvicorn's lifespan) finished, with the socket accepting; a script (or `make
demo`) that waits for the line may send its first request at once. A server stopped by
SIGTERM or Ctrl-C (SIGINT), as it is stopped on purpose, ends with exit code 0 once it has
shut down, as a server of several workers (uvicorn's supervisor) does: uvicorn's own raises
the signal again, so that the shell and `make` around it reported an error (143, or
„interrupted“ and 130).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from socket import socket

import uvicorn

from gemeingut.i18n import Message, _, text


def say_ready(url: str | Message) -> None:
    """The line a person (or script) waits for before the first request; a reader that has
    gone (`serve … | grep -m1 …`) stops no server."""
    with suppress(BrokenPipeError):
        print(text(_("Ready at {url}; Ctrl-C stops", url=url)), flush=True)


class ReadyServer(uvicorn.Server):
    """uvicorn's server that says it is ready once it answers, and ends a stop by a signal
    without raising it again."""

    def __init__(self, config: uvicorn.Config, url: str | Message) -> None:
        super().__init__(config)
        self.url = url

    async def startup(self, sockets: list[socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and not self.should_exit:
            say_ready(self.url)

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            try:
                yield
            finally:
                # the signals that stopped it, which uvicorn would raise again on leaving
                self._captured_signals.clear()
