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
from typing import Annotated

import fastapi_offline
from fastapi import APIRouter, Query, Request
from fastapi.openapi.docs import swagger_ui_default_parameters
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from gemeingut.i18n import LANGUAGES, DocumentLanguage, Message, _, text
from gemeingut.serve.http_errors import APIError, request_language
from gemeingut.serve.openapi_language import described_in

VENDOR = Path(fastapi_offline.__file__).parent / "static"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js")
ASSET_PREFIX = "api-docs"
# Relative to the page (`/docs`, `/redoc`), so that the pages also work behind a proxy that
# serves the server under a path of its own.
SPEC = "openapi.json"
# Each page asks for the description in its own language: Swagger UI's and ReDoc's requests
# for it carry the browser's Accept-Language, not the page's.
SPECS = {language: f"{SPEC}?lang={language}" for language in LANGUAGES}


def _swagger_start(spec: str) -> str:
    # Swagger UI's validator badge asks validator.swagger.io about the description unless told
    # not to.
    settings = {**swagger_ui_default_parameters, "url": spec, "validatorUrl": None}
    return (
        f"SwaggerUIBundle({{...{json.dumps(settings)}, presets: "
        "[SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]});"
    )


SWAGGER_STARTS = {language: _swagger_start(spec) for language, spec in SPECS.items()}
# The inline scripts are allowed by their hashes, no other; ReDoc writes its styles into <style>
# elements and runs its search in a worker made from a blob: URL.
_SCRIPT_HASHES = " ".join(
    "'sha256-" + base64.b64encode(hashlib.sha256(start.encode()).digest()).decode() + "'"
    for start in SWAGGER_STARTS.values()
)
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    f"script-src 'self' {_SCRIPT_HASHES}; style-src 'self' 'unsafe-inline'; "
    "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# The link to the page in the other language, each language named in its own words.
OTHER = {"de": ("en", "English"), "en": ("de", "Deutsch")}
Language = Annotated[DocumentLanguage | None, Query()]  # ?lang=: else Accept-Language's
docs_router = APIRouter(include_in_schema=False)
# ReDoc's one outside address, the sidebar's logo (`<img onError=…>` hides it when it fails)
REDOC_LOGO = (b"https://cdn.redoc.ly/redoc/logo-mini.svg", b"data:,")


@docs_router.get("/" + SPEC)
async def description(request: Request, lang: Language = None) -> JSONResponse:
    """The API's description in the language of `?lang=`, else of Accept-Language."""
    language = lang or request_language(request)
    return JSONResponse(
        described_in(request.app, language),
        headers={"Content-Language": language, "Vary": "Accept-Language"},
    )


@docs_router.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request, lang: Language = None) -> HTMLResponse:
    language = lang or request_language(request)
    head = f'<link rel="stylesheet" href="{ASSET_PREFIX}/swagger-ui.css">'
    body = (
        f'<div id="swagger-ui"></div><script src="{ASSET_PREFIX}/swagger-ui-bundle.js"></script>'
        f"<script>{SWAGGER_STARTS[language]}</script>"
    )
    title = _("{name} – API reference (Swagger UI)", name=request.app.title)
    return _page("docs", language, title, head, body)


@docs_router.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request, lang: Language = None) -> HTMLResponse:
    language = lang or request_language(request)
    # ReDoc's standalone script starts itself on a <redoc> element: no inline script needed
    body = (
        f'<redoc spec-url="{escape(SPECS[language])}"></redoc>'
        f'<script src="{ASSET_PREFIX}/redoc.standalone.js"></script>'
    )
    title = _("{name} – API reference (ReDoc)", name=request.app.title)
    return _page("redoc", language, title, "", body)


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


def _page(path: str, language: str, title: Message, head: str, body: str) -> HTMLResponse:
    """The page `path` in `language`, with a link to it in the other language above the
    reference (Swagger UI and ReDoc have no language switch of their own)."""
    noscript = text(
        _("This page needs JavaScript; the description itself is at {url}.", url="/" + SPEC),
        language,
    )
    other, name = OTHER[language]
    switch = (
        f'<nav><a href="{path}?lang={other}" hreflang="{other}" lang="{other}">{name}</a></nav>'
    )
    html = (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # no icon: a browser would otherwise ask for /favicon.ico, a 404 in its console
        f'<link rel="icon" href="data:,"><title>{escape(text(title, language))}</title>{head}'
        f"</head><body><noscript>{escape(noscript)}</noscript>{switch}{body}</body></html>"
    )
    return HTMLResponse(
        html, headers={**HEADERS, "Content-Language": language, "Vary": "Accept-Language"}
    )
