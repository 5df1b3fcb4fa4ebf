"""The answer where a collection's embedding model fails: the server's engine, not the caller.

An upload embeds its chunks and a dense or hybrid search embeds its question with the model
the collection's vectors came from, often an encoder elsewhere (`--embed http://…`). Where it
refuses, fails or is not there, asking differently does not help: that is a 502 with its
reason, or a 503 where it said it is busy or at a limit (`endpoint.Refused`), its hint saying
when to ask again, never a 400 or 404 that blames the request. Either has `Retry-After`, as
every 503 of the server: the busy model's own where it gave one, else the server's usual (with
`x-should-retry: false` where the model said that waiting does not help). One
mapping for every route that embeds, so that they say it alike; the server's log says it with
the hint for its operator (what to check).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import Request

from gemeingut.apps.rag.endpoint import Refused
from gemeingut.errors import InputError
from gemeingut.i18n import Message, text
from gemeingut.serve.gateway.gate import record_access
from gemeingut.serve.gateway.identity import Principal
from gemeingut.serve.http_errors import RETRY_ENGINE, APIError

log = logging.getLogger("gemeingut.serve")


def embedding_failed(
    request: Request,
    principal: Principal | None,
    error: InputError,
    logged: Message,
    said: Callable[[Message | str], Message],
) -> APIError:
    """The 503 of an embedding model that said it is busy or at a limit, `said` with its
    reason and when to ask again (its hint), else the 502 of one that failed, `said` with its
    reason; `logged` goes to the server's log. Recorded as `engine_unavailable`."""
    busy = isinstance(error, Refused)
    status = 503 if busy else 502
    log.error("%s", text(logged))
    record_access(request, principal, status, "engine_unavailable")
    return APIError(
        status,
        said(error.explained() if busy else error.message),
        code="engine_unavailable",
        type="server_error",
        headers=_retry_after(error),
    )


def _retry_after(error: InputError) -> dict[str, str]:
    """When to ask again: the seconds a busy model said (its Retry-After), else the server's
    usual; where the model said that waiting does not help, `x-should-retry: false` says so
    to OpenAI's clients, as the gateway's own refusals do (`gate.quota_refused`)."""
    if not isinstance(error, Refused):
        return RETRY_ENGINE
    said = RETRY_ENGINE if error.retry_after is None else {"Retry-After": str(error.retry_after)}
    return said if error.waiting_helps else said | {"x-should-retry": "false"}
