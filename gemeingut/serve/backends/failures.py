"""Why an upstream engine fails, for the operator: on the server's log (stderr), with the
engine's address, once per kind of failure.

Clients are told that the engine cannot be reached, never where it is: its host name belongs
to the provider's network, and its URL may hold a password (`address.py`). So the address and
the reason are said here. A load balancer asks `/ready` every few seconds and every request
meets the same failure: each kind (connection refused, no answer in time, a 503 …) is said once
until the engine answers again, which is said too, so that the next failure is said anew.
"""

from __future__ import annotations

import logging
import threading

from gemeingut.i18n import Message, _, text

log = logging.getLogger("gemeingut.serve")


class EngineFailures:
    def __init__(self, address: str) -> None:
        self.address = address  # as `address.shown_address` shows it
        self._said: set[str] = set()
        self._lock = threading.Lock()  # worker threads and the event loop both call the engine

    def failed(self, kind: str, problem: Message) -> None:
        """Log `problem` (in the server's language) unless its `kind` is said already."""
        with self._lock:
            if kind in self._said:
                return
            self._said.add(kind)
        log.error("%s: %s", self.address, text(problem))

    def answered(self) -> None:
        """The engine answered: after failures, say so once, and say the next failure anew."""
        if not self._said:  # the usual case, without the lock
            return
        with self._lock:
            if not self._said:
                return
            self._said.clear()
        log.warning("%s", text(_("the upstream engine at {url} answers again", url=self.address)))
