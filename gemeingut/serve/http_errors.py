"""Errors as data: every failure reaches the client in OpenAI's error shape, never a traceback.

OpenAI's clients raise typed exceptions from the status code and read `error.message`, so a
wrong request must be a 4xx with that envelope. Messages are put into words when answered, in
the language the request's `Accept-Language` prefers (German by default). FastAPI's own 422
for validation errors is turned into OpenAI's 400; anything unexpected becomes a 500 with a
generic message, while the traceback goes to the server log, where the operator can read it.
Every error object also carries the request's id (`request_id`, as its `x-request-id` header
and its audit record name it), which a person can quote to support.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as ASGIMessage

from gemeingut.i18n import Message, _, accepted_language, plural, text
from gemeingut.i18n.validation import is_mismatch, problem
from gemeingut.serve.backends.protocol import EngineUnavailable, RequestRejected
from gemeingut.serve.database_failures import log_database_failure
from gemeingut.serve.error_codes import code_of_status, validation_code
from gemeingut.serve.request_id import REQUEST_ID
from gemeingut.serve.schemas import ErrorDetail, ErrorResponse

log = logging.getLogger("gemeingut.serve")
# FastAPI's detail where its JSON parser gave up on a body (not UTF-8, nested too deeply).
UNPARSABLE_BODY = "There was an error parsing the body"
RETRY_ENGINE = {"Retry-After": "5"}  # an engine that failed: ask again in a few seconds
RETRY_DATABASE = 5  # seconds: a locked or restarting database is usually back by then
DOCS = "/docs"  # where the server describes every field (FastAPI's page of its OpenAPI)


class APIError(Exception):
    """Raise in a route to answer with `status` and OpenAI's error envelope; `code` says which
    mistake (`error_codes.py`: without one, the status's default)."""

    def __init__(
        self,
        status: int,
        message: str | Message,
        param: str | None = None,
        code: str | None = None,
        type: str = "invalid_request_error",
        headers: dict[str, str] | None = None,
        facts: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param, self.type = param, type
        self.code = code or code_of_status(status)
        self.headers = headers
        self.facts = facts  # more fields of the error object, for clients (a 429's `quota`)

    def detail(self, language: str) -> ErrorDetail:
        message = text(self.message, language)
        return ErrorDetail(message=message, type=self.type, param=self.param, code=self.code)


def request_language(request: Request) -> str:
    return accepted_language(request.headers.get("accept-language"))


def check_model(name: str | None, served: str) -> None:
    """A request naming another model than the one served is a 404, as OpenAI answers it."""
    if name is not None and name != served:
        raise APIError(
            404,
            _(
                "the model {name!r} does not exist; this server serves {served!r}",
                name=name,
                served=served,
            ),
            param="model",
            code="model_not_found",
        )


@contextmanager
def backend_errors_as_http(param: str) -> Iterator[None]:
    """`RequestRejected` as 400 (404 for what does not exist), `EngineUnavailable` as 502:
    wherever a route calls its backend, never a 500."""
    try:
        yield
    except RequestRejected as rejected:
        status = 404 if rejected.code == "not_found" else 400
        raise APIError(status, rejected.message, rejected.param or param, rejected.code) from None
    except EngineUnavailable as failed:
        raise APIError(
            502,
            failed.args[0] if failed.args else str(failed),  # in the client's language
            code="engine_unavailable",
            type="server_error",
            headers=RETRY_ENGINE,
        ) from None


def error_response(
    status: int,
    detail: ErrorDetail,
    headers: dict[str, str] | None = None,
    facts: Mapping[str, object] | None = None,
) -> JSONResponse:
    """OpenAI's envelope; `facts` are fields of the error object beside OpenAI's four, which
    its clients keep in the error's `body` (a client that knows only the four reads on)."""
    return JSONResponse(error_body(detail, facts), status_code=status, headers=headers)


def error_body(detail: ErrorDetail, facts: Mapping[str, object] | None = None) -> dict:
    """The error object with `facts` and the request's id (none outside a request)."""
    body = ErrorResponse(error=detail).model_dump()
    body["error"].update(facts or {})
    if (request_id := REQUEST_ID.get()) is not None:
        body["error"]["request_id"] = request_id
    return body


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(APIError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, APIError)
    return error_response(exc.status, exc.detail(request_language(request)), exc.headers, exc.facts)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    from gemeingut.serve.gateway.gate import note_model  # gate imports this module

    if isinstance(exc.body, dict):  # its audit record names the model asked for
        note_model(exc.body.get("model"))
    return error_response(400, describe_validation_error(exc, request_language(request)))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    kind = "invalid_request_error" if exc.status_code < 500 else "server_error"
    ours = {  # the framework's own refusals, in the client's language, and their codes
        404: (_("no such route: {path}", path=request.url.path), "unknown_url"),
        405: (
            _("{path} does not take {method}", path=request.url.path, method=request.method),
            "method_not_allowed",
        ),
    }
    if exc.status_code == 400 and exc.detail == UNPARSABLE_BODY:  # FastAPI keeps the cause
        ours[400] = _unparsable(exc.__cause__)
    said, code = ours.get(exc.status_code, (str(exc.detail), code_of_status(exc.status_code)))
    message = text(said, request_language(request))
    return error_response(exc.status_code, ErrorDetail(message=message, type=kind, code=code))


def _unparsable(cause: BaseException | None) -> tuple[Message, str]:
    """Why FastAPI's JSON parser gave up on a body, and its code."""
    if isinstance(cause, UnicodeDecodeError):
        said = _("the request body is not UTF-8 text; send JSON encoded as UTF-8")
        return said, "invalid_encoding"
    if isinstance(cause, RecursionError):
        said = _("the request body is nested too deeply to read; send flatter JSON")
        return said, "json_too_deep"
    return _("the request body cannot be read as JSON"), "invalid_json"


def database_unavailable() -> APIError:
    """The 503 of a database that failed: the client may retry, the operator reads the log."""
    return APIError(
        503,
        _(
            "the gateway database is not available right now; retry in {seconds} s",
            seconds=RETRY_DATABASE,
        ),
        code="database_unavailable",
        type="server_error",
        headers={"Retry-After": str(RETRY_DATABASE)},
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """A database failure wherever it happens (a key's last use, an audit record): a 503 the
    client may retry, the traceback in the server log (`database_failures`)."""
    said = _(
        "the gateway database failed while serving {method} {path}",
        method=request.method,
        path=request.url.path,
    )
    log_database_failure(log, said, exc)
    error = database_unavailable()
    return error_response(error.status, error.detail(request_language(request)), error.headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("%s", text(_unexpected(request.method, request.url.path)))
    return _internal_error(request_language(request))


def _unexpected(method: object, path: object) -> Message:
    """The server log's line of a failure nobody foresaw (its traceback follows)."""
    return _("unexpected error while serving {method} {path}", method=method, path=path)


def _internal_error(language: str) -> JSONResponse:
    message = text(_("internal server error; see the server log"), language)
    detail = ErrorDetail(message=message, type="server_error", code=code_of_status(500))
    return error_response(500, detail)


class UnexpectedErrors:
    """ASGI middleware that answers what nobody foresaw with OpenAI's 500 envelope and lets the
    connection live on. Starlette's own handler of `Exception` answers too, but raises the
    error again afterwards, and uvicorn then closes the keep-alive connection (and logs the
    traceback a second time); a client's next request would fail for the server's mistake.
    Inside the audit and metrics middlewares, so that they see the 500 like any answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def noting_send(message: ASGIMessage) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, noting_send)
        except Exception:
            if started:  # a body midway: nothing can be said any more
                raise
            log.exception("%s", text(_unexpected(scope.get("method"), scope.get("path"))))
            headers = dict(scope.get("headers") or [])
            language = accepted_language(headers.get(b"accept-language", b"").decode("latin-1"))
            await _internal_error(language)(scope, receive, send)


def describe_validation_error(exc: RequestValidationError, language: str) -> ErrorDetail:
    """The problems in words a client can act on, in its language, each with the field it is
    about (a validator's own sentence stays as written): up to `SAID` of them, so that a
    client that sent `query` where `question` belongs reads both halves of its mistake."""
    # For a union field (`stop: str | list[str]`) pydantic reports each branch; the branch whose
    # type matched says what is really wrong, so type mismatches come last.
    errors = sorted(_matched_branches(exc.errors()), key=lambda e: is_mismatch(str(e.get("type"))))
    if not errors:
        return ErrorDetail(message=text(_("invalid request"), language), code="invalid_value")
    if errors[0].get("type") == "json_invalid":
        message = text(_("the request body is not valid JSON"), language)
        return ErrorDetail(message=message, code=validation_code(errors[0]))
    said: dict[str | None, str] = {}  # one problem per field: a union's branches are one
    for error in errors:
        param = _param(error)
        if param not in said:
            said[param] = _said(error, param, language)
    first = next(iter(said))
    code = validation_code(errors[0])  # the first field's problem, as `param` names it
    shown = list(said.values())[:SAID]
    message = "; ".join(shown)
    more = len(said) - len(shown)
    if more:
        note = plural(more, _("(and one more problem)"), _("(and {more} more problems)", more=more))
        message += " " + text(note, language)
    return ErrorDetail(message=message, param=first, code=code)


SAID = 3


def _param(error: dict) -> str | None:
    loc = [str(part) for part in error.get("loc", ()) if part != "body" and not _is_tag(part)]
    return ".".join(loc) or None


# pydantic's kinds for a value that is no object where one belongs
NOT_AN_OBJECT = frozenset({"model_type", "model_attributes_type", "dict_type"})
# What a JSON value that is no object is, by the type `json.loads` gives it.
JSON_KINDS: dict[type, Message] = {
    list: _("an array"),
    str: _("a string"),
    bool: _("true or false"),
    int: _("a number"),
    float: _("a number"),
    type(None): _("null"),
}


def _said(error: dict, param: str | None, language: str) -> str:
    kind = error.get("type")
    if kind == "missing" and param is None:
        return text(_("the request needs a JSON body"), language)
    if kind in NOT_AN_OBJECT and param is None:
        sent = JSON_KINDS.get(type(error.get("input")), _("no object"))
        said = _(
            "the request body must be a JSON object, {example}; this one is {kind}",
            example='{"model": "…", …}',
            kind=sent,
        )
        return text(said, language)
    if kind == "extra_forbidden":
        return text(
            _("{param}: this server does not support this field; leave it out", param=param),
            language,
        )
    found = problem(error)
    if not isinstance(found, Message) and language != "en":
        # a kind the catalogue does not know yet: pydantic's English stays out of German
        found = _("is not a value this field takes; see its description at {docs}", docs=DOCS)
    message = text(found, language)
    return f"{param}: {message}" if param is not None else message


def _matched_branches(errors: Sequence[Any]) -> list[dict]:
    """The errors without those of a union's branches whose kind the value does not have,
    where another branch's kind it has: a list of texts with one text not Unicode is told
    that, not also that it is no text (`one_of` says it in one sentence where no kind fits)."""

    def branch(error: dict) -> tuple[tuple, object] | None:
        loc = tuple(error.get("loc", ()))
        at = next((i for i, part in enumerate(loc) if _is_tag(part)), None)
        return None if at is None else (loc[:at], loc[at])

    matched: dict[tuple, set[object]] = {}  # the union's place → its branches of the right kind
    for error in errors:
        if (found := branch(error)) and not is_mismatch(str(error.get("type"))):
            matched.setdefault(found[0], set()).add(found[1])
    return [
        error
        for error in errors
        if (found := branch(error)) is None
        or found[0] not in matched
        or found[1] in matched[found[0]]
    ]


def _is_tag(part: object) -> bool:
    """Pydantic names the union branch it tried (`stop.str`, `stop.list[str]`); clients only
    need the field."""
    text = str(part)
    return text in {"str", "int", "float", "bool", "list", "dict"} or "[" in text or "(" in text
