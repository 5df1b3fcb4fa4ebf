"""What each request carries into the code below the routes, and the record it leaves behind.

Three things are set per HTTP request: the language its answer is in (`CLIENT_LANGUAGE`, which
a backend in front of an engine passes on as `Accept-Language`, so that the engine's messages
the gateway quotes read in the same language as the gateway's own words), its id
(`request_id.REQUEST_ID`: sent back as `x-request-id` on every response, also a refusal of the
guard or a stream, and kept in its audit records), and its audit trail (`gate.TRAIL`). A
response that is about to leave an audited route without a record (JSON that cannot be read,
a 413 or 415 from the guard, a 500 nobody foresaw) gets one first: metadata only, the
pseudonym where the key was valid, the key id, the route, the status and why
(`invalid_request`, `too_large`, `server_error` …); one whose last record says another status
(work that failed after it was recorded: a 500 after the model answered) has that record
corrected to the status it leaves with. A request has one record per model call (a draft
asks the model once per section, each call recorded) and one record otherwise. So no request
that got a response is missing from the log, none is in it twice, and its last record says
the status the client got.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gemeingut.i18n import _, accepted_language
from gemeingut.serve.backends import CLIENT_LANGUAGE
from gemeingut.serve.database_failures import log_database_failure
from gemeingut.serve.gateway.gate import TRAIL, Gateway, Trail, record_missing
from gemeingut.serve.http_errors import APIError
from gemeingut.serve.request_id import HEADER, REQUEST_ID, request_id_for

log = logging.getLogger("gemeingut.serve")
ANY_METHOD = None
# The routes whose every answer is recorded (by path, with the methods that are; None: all):
# the model calls and what people read, search or report. Not `/v1/models` (nor a model's
# card), the tokenizer routes, `/health` and the like: they are recorded only where a key is
# refused.
AUDITED: dict[str, frozenset[str] | None] = {
    "/v1/chat/completions": ANY_METHOD,
    "/v1/completions": ANY_METHOD,
    "/v1/embeddings": ANY_METHOD,
    "/v1/lens": ANY_METHOD,
    "/v1/collections/{name}/answer": ANY_METHOD,
    "/v1/collections/{name}/search": ANY_METHOD,
    "/v1/collections/{name}/source": ANY_METHOD,
    "/v1/collections/{name}/page-image": ANY_METHOD,
    "/v1/collections/{name}/documents": ANY_METHOD,
    "/v1/findings": ANY_METHOD,
    "/v1/findings/{finding_id}/triage": ANY_METHOD,
    "/v1/assist/tender": ANY_METHOD,
    "/v1/assist/draft": ANY_METHOD,
    "/v1/trace": frozenset({"POST"}),  # GET only says how large the index is
}


class RequestContext:
    """ASGI middleware, outside the guard (so that its refusals are recorded too)."""

    def __init__(self, app: ASGIApp, gateway: Gateway | None) -> None:
        self.app = app
        self.gateway = gateway
        self.audited = [(compile_path(path)[0], methods) for path, methods in AUDITED.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        language = accepted_language(headers.get(b"accept-language", b"").decode("latin-1"))
        trail = Trail()
        language_token, trail_token = CLIENT_LANGUAGE.set(language), TRAIL.set(trail)
        request_id = request_id_for(headers.get(HEADER.encode()))
        id_token = REQUEST_ID.set(request_id)
        started = False

        async def recording_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start" and not started:
                started = True
                await self._record_missing(scope, headers, trail, message["status"])
                sent = [*message.get("headers", []), (HEADER.encode(), request_id.encode())]
                sent += trail.rate_limit_headers(message["status"])  # where a quota applies
                message = {**message, "headers": sent}
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        except Exception:
            if not started:  # the server's error handler answers 500 outside this middleware
                await self._record_missing(scope, headers, trail, 500)
            raise
        finally:
            REQUEST_ID.reset(id_token)
            TRAIL.reset(trail_token)
            CLIENT_LANGUAGE.reset(language_token)

    async def _record_missing(
        self, scope: Scope, headers: dict[bytes, bytes], trail: Trail, status: int
    ) -> None:
        """Record the response before it starts, where it has no record yet or its last
        record says another status; a database that fails here is logged, and the response
        still goes out."""
        if self.gateway is None or (trail.recorded and trail.status == status):
            return  # the usual case (no database call, no route to match)
        if not self._is_audited(scope):
            return
        path = scope.get("path", "")
        auth = headers.get(b"authorization", b"").decode("latin-1")
        try:
            await record_missing(self.gateway, trail, path, status, auth)
        except (SQLAlchemyError, APIError) as error:
            said = _(
                "the {status} answer to {path} could not be recorded", status=status, path=path
            )
            log_database_failure(log, said, error)

    def _is_audited(self, scope: Scope) -> bool:
        path, method = scope.get("path", ""), scope.get("method", "")
        return any(
            pattern.match(path) and (methods is None or method in methods)
            for pattern, methods in self.audited
        )
