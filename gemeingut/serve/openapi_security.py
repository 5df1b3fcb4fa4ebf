"""API keys in the API's description: `/docs` gets its "Authorize" button, and "Try it out"
sends the key a person enters there.

Swagger UI sends a key only with the operations whose description names a security scheme.
Which routes need a key is read from the routes themselves, not listed: those that depend on
`gate.caller` (directly or through another dependency), which checks the key; and only on a
server that checks keys at all (one with a gateway). The checking stays `caller`'s: the scheme
is declared in the description only (FastAPI's `HTTPBearer` describes it), never run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.encoders import jsonable_encoder
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from starlette.routing import BaseRoute

from gemeingut.serve.gateway.gate import caller

SCHEME = "apiKey"  # its name under components.securitySchemes
BEARER = HTTPBearer(
    scheme_name=SCHEME,
    description="An API key of this server (`gemeingut admin keys create`), sent as "
    "`Authorization: Bearer KEY`.",
    auto_error=False,
)


def declare_api_keys(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Make `app.openapi()` name the bearer key on every operation of `routers` (included in
    `app` as they are, without a prefix) that needs one. The routers' own routes are read, as
    FastAPI versions differ in what `app.routes` holds of an included router."""
    described = app.openapi
    routes = [route for router in routers for route in router.routes]

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:  # built once, then FastAPI keeps it
            _add_keys(described(), routes)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's way to extend it


def _add_keys(schema: dict[str, Any], routes: list[BaseRoute]) -> None:
    scheme = jsonable_encoder(BEARER.model, by_alias=True, exclude_none=True)
    schema.setdefault("components", {}).setdefault("securitySchemes", {})[SCHEME] = scheme
    for route in routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        if not depends_on(route.dependant, caller):
            continue
        operations = schema["paths"].get(route.path_format, {})
        for method in route.methods:
            if (operation := operations.get(method.lower())) is not None:
                operation["security"] = [{SCHEME: []}]


def depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    """Whether `call` is among the dependencies of `dependant`, at any depth."""
    return any(d.call is call or depends_on(d, call) for d in dependant.dependencies)
