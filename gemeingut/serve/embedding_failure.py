"""The answer where a collection's embedding model fails: the server's engine, not the caller.

An upload embeds its chunks and a dense or hybrid search embeds its question with the model
the collection's vectors came from, often an encoder elsewhere (`--embed http://…`). Where it
refuses, fails or is not there, asking differently does not help: that is a 502 with its
reason, or a 503 where it said it is busy or at a limit (`endpoint.Refused`), its hint saying
when to ask again, never a 400 or 404 that blames the request. Either has `Retry-After`, as
every 503 of the server: the busy model's own where it gave one, else the server's usual (with
`x-should-retry: false` where the model said that waiting does not help). One
mapping for every route that embeds, so that they say it alike; the server's log says it with
the hint for its operator (what to check) and the request's id.

Who reads the model's own words is the operator: they name where the encoder runs (an internal
address, `http://10.0.0.5:8080/v1`) and what it answered, which tell a member of a group
nothing they can act on and an outsider where to look. A member is told that the collection's
embedding model cannot be reached (or is busy, and when to ask again), that the server's
operator sees to it, and the request's id to name to them (their log has the rest).

A server without identities tells all only to a caller on its own machine: the request came
over loopback (both ends of the connection), as on a server bound to 127.0.0.1, one person's,
who is its operator. `serve --no-auth` may also listen on another address (`--host 0.0.0.0`)
behind a proxy that checks who calls: many people, who reach it over the network and are
told as members are.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable

from fastapi import Request

from gemeingut.apps.rag.endpoint import Refused
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, text
from gemeingut.serve.gateway.gate import record_access
from gemeingut.serve.gateway.identity import Principal
from gemeingut.serve.http_errors import RETRY_ENGINE, APIError
from gemeingut.serve.request_id import REQUEST_ID

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
    reason: the model's own words to the operator, to a member what they can act on
    (`_for_members`); `logged` goes to the server's log with the request's id. Recorded as
    `engine_unavailable`."""
    busy = isinstance(error, Refused)
    status = 503 if busy else 502
    request_id = REQUEST_ID.get()
    log.error("%s (%s)", text(logged), request_id or "-")
    record_access(request, principal, status, "engine_unavailable")
    if request.app.state.gateway is None and _over_loopback(request):  # the operator
        reason: Message | str = error.explained()
    else:
        reason = _for_members(error, request_id)
    return APIError(
        status,
        said(reason),
        code="engine_unavailable",
        type="server_error",
        headers=_retry_after(error),
    )


def _over_loopback(request: Request) -> bool:
    """Whether the request came over loopback: both ends of its connection on this machine."""
    ends = (request.scope.get("server"), request.scope.get("client"))
    return all(end is not None and _loopback_address(str(end[0])) for end in ends)


def _loopback_address(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:  # a Unix socket's path, a test client's name: not known to be local
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 of a dual-stack socket
    return (mapped or address).is_loopback


def _for_members(error: InputError, request_id: str | None) -> Message:
    """Why the model failed, as a member of a group is told: without its address or its
    answer, with when to ask again where it said so, and the request's id to name to the
    operator (whom the route's words name)."""
    if isinstance(error, Refused):
        reason = _("it is busy or at a limit: {hint}", hint=error.hint)
    else:
        reason = _("it cannot be reached or did not answer as it should")
    if request_id is None:
        return reason
    return _("{reason}; request {id}", reason=reason, id=request_id)


def _retry_after(error: InputError) -> dict[str, str]:
    """When to ask again: the seconds a busy model said (its Retry-After), else the server's
    usual; where the model said that waiting does not help, `x-should-retry: false` says so
    to OpenAI's clients, as the gateway's own refusals do (`gate.quota_refused`)."""
    if not isinstance(error, Refused):
        return RETRY_ENGINE
    said = RETRY_ENGINE if error.retry_after is None else {"Retry-After": str(error.retry_after)}
    return said if error.waiting_helps else said | {"x-should-retry": "false"}
