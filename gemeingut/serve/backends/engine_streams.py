"""The gateway's streams from an upstream engine, read with aiohttp.

A stream is the gateway's hot path: per 8-token stream, httpx2 (pure-Python h11 and its
pool) cost the gateway about 1.1 ms of CPU, aiohttp (its C parser and pool) about 0.5 ms
(docs/benchmarks.md, "upstream streams with aiohttp"). The other calls to the engine (counts,
answers that are not streamed, readiness) stay with httpx2. The options are httpx2's as
`UpstreamBackend` sets them: one pool per event loop of at most `max_connections`, idle
connections retired after `keepalive` seconds, `connect` seconds to connect, `timeout` seconds
for each read (and for a free connection), no redirects followed, the environment's proxy
(read once), the credentials of the engine's address sent as HTTP Basic auth (in place of
`--upstream-key-env`'s key, as httpx2 sends them).
"""

from __future__ import annotations

import asyncio
from base64 import b64encode
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit
from weakref import WeakKeyDictionary

import aiohttp
import httpx2
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL

from gemeingut.serve.backends.loop_end import closed_with_loop


class EngineStreams:
    """aiohttp sessions to one engine, one per event loop (its connections belong to it), each
    closed when its loop ends if nothing closed it before (`loop_end.py`)."""

    def __init__(
        self,
        url: str,
        headers: dict[str, str],
        timeout: float,
        connect: float,
        max_connections: int,
        keepalive: float,
    ) -> None:
        parts = urlsplit(url)
        self.headers = dict(headers)
        if parts.username:  # as httpx2 does: the address's credentials win over a key
            login = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self.headers["authorization"] = "Basic " + b64encode(login.encode()).decode()
        netloc = parts.netloc.rpartition("@")[2]
        self.base = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        # The environment's proxy for the engine, read once as httpx2 reads it: aiohttp's
        # `trust_env` reads it anew in a worker thread for every request.
        try:
            self.proxy, self.proxy_auth = get_env_proxy_for_url(URL(self.base))
        except LookupError:  # none, or NO_PROXY names the engine
            self.proxy, self.proxy_auth = None, None
        self.timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout, sock_connect=connect, sock_read=timeout
        )
        self.max_connections = max_connections
        self.keepalive = keepalive
        self._sessions: WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
            WeakKeyDictionary()
        )
        # Per loop, what closes its session when the loop ends (`loop_end.py`).
        self._closing: WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncGenerator[None, None]] = (
            WeakKeyDictionary()
        )

    async def post(
        self, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> aiohttp.ClientResponse:
        """The engine's answer to `body`, its headers read, its body still to come."""
        session = await self._session()
        return await session.post(
            self.base + path,
            json=body,
            headers=headers,
            allow_redirects=False,
            proxy=self.proxy,
            proxy_auth=self.proxy_auth,
        )

    async def aclose(self) -> None:
        """Close the running loop's connections (the server's shutdown)."""
        loop = asyncio.get_running_loop()
        if self._sessions.pop(loop, None) is not None:
            await self._closing.pop(loop).aclose()  # closes the session

    async def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            # An https engine is trusted as httpx2 trusts it (its certificates, SSL_CERT_FILE).
            trust = httpx2.create_ssl_context() if self.base.startswith("https:") else True
            connector = aiohttp.TCPConnector(
                limit=self.max_connections, keepalive_timeout=self.keepalive, ssl=trust
            )
            session = aiohttp.ClientSession(
                connector=connector, headers=self.headers, timeout=self.timeout
            )
            self._sessions[loop] = session
            if loop in self._closing:  # a closed session's: nothing left for it to close
                await self._closing[loop].aclose()
            self._closing[loop] = await closed_with_loop(session.close)
        return session


async def closed(response: aiohttp.ClientResponse) -> None:
    """End a stream. A finished one gave its connection back to the pool with its last byte
    (aiohttp does so); one cut short closes its connection, which tells the engine to stop
    generating (vLLM, llama-server, gemeingut)."""
    response.close()


async def buffered(response: aiohttp.ClientResponse, url: str) -> httpx2.Response:
    """A refused or failed stream's answer, read whole, in the shape the rest of
    `UpstreamBackend` judges engines' answers in (`_raise_for`)."""
    try:
        content = await response.read()
    finally:
        response.release()
    kind = response.headers.get("content-type")
    return httpx2.Response(
        response.status,
        headers={"content-type": kind} if kind else {},  # the body is decoded already
        content=content,
        request=httpx2.Request("POST", url),
    )
