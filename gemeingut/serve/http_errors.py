"""Errors as data: every failure reaches the client in OpenAI's error shape, never a traceback.

OpenAI's clients raise typed exceptions from the status code and read `error.message`, so a
wrong request must be a 4xx with that envelope. FastAPI's own 422 for validation errors is
turned into OpenAI's 400; anything unexpected becomes a 500 with a generic message, while the
traceback goes to the server log, where the operator can read it.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from gemeingut.serve.schemas import ErrorDetail, ErrorResponse

log = logging.getLogger("gemeingut.serve")


class APIError(Exception):
    """Raise in a route to answer with `status` and OpenAI's error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        param: str | None = None,
        code: str | None = None,
        type: str = "invalid_request_error",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.detail = ErrorDetail(message=message, type=type, param=param, code=code)
        self.headers = headers


def check_model(name: str | None, served: str) -> None:
    """A request naming another model than the one served is a 404, as OpenAI answers it."""
    if name is not None and name != served:
        raise APIError(
            404,
            f"the model {name!r} does not exist; this server serves {served!r}",
            param="model",
            code="model_not_found",
        )


def error_response(
    status: int, detail: ErrorDetail, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        ErrorResponse(error=detail).model_dump(), status_code=status, headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(APIError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, APIError)
    return error_response(exc.status, exc.detail, exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, describe_validation_error(exc))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    kind = "invalid_request_error" if exc.status_code < 500 else "server_error"
    return error_response(exc.status_code, ErrorDetail(message=str(exc.detail), type=kind))


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error while serving %s %s", request.method, request.url.path)
    detail = ErrorDetail(message="internal server error; see the server log", type="server_error")
    return error_response(500, detail)


def describe_validation_error(exc: RequestValidationError) -> ErrorDetail:
    """The first problem in words a client can act on, and the field it is about."""
    # For a union field (`stop: str | list[str]`) pydantic reports each branch; the branch whose
    # type matched says what is really wrong, so type mismatches come last.
    errors = sorted(exc.errors(), key=lambda e: str(e.get("type", "")).endswith("_type"))
    if not errors:
        return ErrorDetail(message="invalid request")
    first = errors[0]
    loc = [str(part) for part in first.get("loc", ()) if part != "body" and not _is_tag(part)]
    param = ".".join(loc) or None
    if first.get("type") == "json_invalid":
        return ErrorDetail(message="the request body is not valid JSON", code="invalid_json")
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if first.get("type") == "missing" and param is None:
        message = "the request needs a JSON body"
    elif first.get("type") == "extra_forbidden":
        message = f"{param}: this server does not support this field; leave it out"
    elif param is not None:
        message = f"{param}: {message}"
    more = len(errors) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return ErrorDetail(message=message, param=param)


def _is_tag(part: object) -> bool:
    """Pydantic names the union branch it tried (`stop.str`, `stop.list[str]`); clients only
    need the field."""
    text = str(part)
    return text in {"str", "int", "float", "bool", "list", "dict"} or "[" in text or "(" in text
