"""`/docs` (Swagger UI) and `/redoc` (ReDoc): the API's description (`/openapi.json`) for people,
with every script and style from this server, under a Content-Security-Policy that allows no
other.

FastAPI's own pages load Swagger UI and ReDoc from a CDN and a favicon from FastAPI's site:
each visit would tell them a member of staff's address, and on a network without internet the
page stays blank. Their files come from the `fastapi-offline` wheel instead (Swagger UI 5,
Apache-2.0; ReDoc 2, MIT), installed like any other dependency, so `pip` upgrades them and no
copy of minified code lives in this repository. ReDoc's sidebar would ask cdn.redoc.ly for
its logo (refused by the policy, an error in the console at every visit): its script is served
with that address replaced by an empty `data:` image, which its own error handler then hides.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from html import escape
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import swagger_ui_default_parameters
from fastapi.responses import FileResponse, HTMLResponse, Response

from gemeingut.i18n import Message, _, text
from gemeingut.serve.http_errors import APIError, request_language

VENDOR = Path(fastapi_offline.__file__).parent / "static"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js")
ASSET_PREFIX = "api-docs"
# Relative to the page (`/docs`, `/redoc`), so that the pages also work behind a proxy that
# serves the server under a path of its own.
SPEC = "openapi.json"
# Swagger UI's validator badge asks validator.swagger.io about the description unless told not to.
SWAGGER_SETTINGS = {**swagger_ui_default_parameters, "url": SPEC, "validatorUrl": None}
SWAGGER_START = (
    f"SwaggerUIBundle({{...{json.dumps(SWAGGER_SETTINGS)}, presets: "
    "[SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]});"
)
# The one inline script is allowed by its hash, no other; ReDoc writes its styles into <style>
# elements and runs its search in a worker made from a blob: URL.
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(SWAGGER_START.encode()).digest()).decode()
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    f"script-src 'self' 'sha256-{_SCRIPT_HASH}'; style-src 'self' 'unsafe-inline'; "
    "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
docs_router = APIRouter(include_in_schema=False)
# ReDoc's one outside address, the sidebar's logo (`<img onError=…>` hides it when it fails)
REDOC_LOGO = (b"https://cdn.redoc.ly/redoc/logo-mini.svg", b"data:,")


@docs_router.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> HTMLResponse:
    head = f'<link rel="stylesheet" href="{ASSET_PREFIX}/swagger-ui.css">'
    body = (
        f'<div id="swagger-ui"></div><script src="{ASSET_PREFIX}/swagger-ui-bundle.js"></script>'
        f"<script>{SWAGGER_START}</script>"
    )
    return _page(
        request, _("{name} – API reference (Swagger UI)", name=request.app.title), head, body
    )


@docs_router.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request) -> HTMLResponse:
    # ReDoc's standalone script starts itself on a <redoc> element: no inline script needed
    body = (
        f'<redoc spec-url="{SPEC}"></redoc>'
        f'<script src="{ASSET_PREFIX}/redoc.standalone.js"></script>'
    )
    return _page(request, _("{name} – API reference (ReDoc)", name=request.app.title), "", body)


@docs_router.get(f"/{ASSET_PREFIX}/{{name}}")
async def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise APIError(404, _("{name!r} is not a file of the API reference", name=name))
    if name == "redoc.standalone.js":
        return Response(_redoc_script(), media_type="text/javascript", headers=HEADERS)
    return FileResponse(VENDOR / name, headers=HEADERS)


@cache
def _redoc_script() -> bytes:
    return (VENDOR / "redoc.standalone.js").read_bytes().replace(*REDOC_LOGO)


def _page(request: Request, title: Message, head: str, body: str) -> HTMLResponse:
    language = request_language(request)
    noscript = text(
        _("This page needs JavaScript; the description itself is at {url}.", url="/" + SPEC),
        language,
    )
    html = (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # no icon: a browser would otherwise ask for /favicon.ico, a 404 in its console
        f'<link rel="icon" href="data:,"><title>{escape(text(title, language))}</title>{head}'
        f"</head><body><noscript>{escape(noscript)}</noscript>{body}</body></html>"
    )
    return HTMLResponse(
        html, headers={**HEADERS, "Content-Language": language, "Vary": "Accept-Language"}
    )
