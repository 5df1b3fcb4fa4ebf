"""`GET /` and `/static/…`: the page, rendered in the reader's language, with its own assets;
`GET /key-check`: whether the key a tab kept is still one of the server's.

The page is one HTML document (Jinja2) and one script that talks to the server's own API with
the user's key (kept in the browser tab's session storage, never in a cookie, so no other site
can send it). Its texts come from the message catalogue: German unless `?lang=en` (remembered
in a cookie that holds only the choice) or the browser prefers English. No asset comes from a
CDN.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from gemeingut.apps.assistants import allowance
from gemeingut.apps.rag.readers import READERS
from gemeingut.apps.web.heading import heading
from gemeingut.apps.web.texts import page_texts
from gemeingut.audit.findings import NOTE_MAX
from gemeingut.i18n import LANGUAGES, accepted_language, text
from gemeingut.serve import assist_routes, collection_answers, collections
from gemeingut.serve.file_in_json import file_max_bytes
from gemeingut.serve.findings_terms import findings_notice
from gemeingut.serve.gateway.gate import caller
from gemeingut.serve.http_errors import APIError, request_language
from gemeingut.serve.schemas import MAX_TOP_LOGPROBS

HERE = Path(__file__).parent
web_router = APIRouter(include_in_schema=False)
static_files = StaticFiles(directory=HERE / "static")


LANGUAGE_COOKIE = "gemeingut-lang"  # the language last asked for (the link at the top)
YEAR = 365 * 24 * 3600


@web_router.get("/", response_class=HTMLResponse)
async def index(request: Request, lang: str | None = None) -> HTMLResponse:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if lang in LANGUAGES:
        language = lang
    elif chosen in LANGUAGES:  # a bookmark or a typed address keeps the language chosen once
        language = chosen
    else:
        language = accepted_language(request.headers.get("accept-language"))
    # the heading says what this server serves (its own model, an engine's, another's)
    texts = page_texts(language) | {
        "title": text(heading(request.app.state.models.values()), language)
    }
    html = _template().render(
        lang=language,
        other=next(code for code in LANGUAGES if code != language),
        t=texts,
        texts_json=json.dumps(texts, ensure_ascii=False).replace("</", "<\\/"),
        needs_key=request.app.state.gateway is not None,
        # what this server was started with: the page does not ask for what is not there
        # (each such request a 404 in the browser's console, or a report that cannot be sent)
        has_collections=request.app.state.collections is not None,
        has_trace=request.app.state.trace is not None,
        has_findings=request.app.state.findings is not None,
        # what a report becomes on this server (stored redacted, under whose name, published)
        findings_notice=_findings_notice(request, language),
        sso=getattr(request.app.state, "oidc", None) is not None,
        # the look inside asks for as many next tokens as the server lists: the more it knows
        # exactly, the narrower the bounds it shows at a temperature other than 1
        max_logprobs=MAX_TOP_LOGPROBS,
        note_max=NOTE_MAX,  # a triage note's field takes no more than the server stores
        # a tender's file, as the file (not its base64 in the JSON body the limit bounds)
        tender_file_max=file_max_bytes(request.app.state.max_body_bytes),
        **_server_limits(),
    )
    # the same address is German or English by the cookie and the browser's languages
    headers = {"Content-Language": language, "Vary": "Cookie, Accept-Language"}
    response = HTMLResponse(html, headers={**headers, **SECURITY_HEADERS})
    if lang in LANGUAGES:  # the language last asked for: no id, sent to this server alone
        response.set_cookie(
            LANGUAGE_COOKIE,
            lang,
            max_age=YEAR,
            samesite="lax",  # also when a link in an e-mail or the intranet opens the page
            secure=request.url.scheme == "https",
        )
    return response


@web_router.get("/key-check")
async def key_check(request: Request) -> JSONResponse:
    """Whether the server still knows the key the tab kept (`known`), and if not why
    (`reason`, in the request's language), always as a 200: a page that loads with a key
    revoked or replaced meanwhile asks this before anything else, so that it says "sign in
    again" instead of failing its first request with a 401 (red in the browser's console).
    A key refused here is recorded in the audit log as any other route records it."""
    try:
        await caller(request)
    except APIError as refused:
        reason = refused.detail(request_language(request)).message
        return JSONResponse({"known": False, "reason": reason}, headers=NOT_KEPT)
    return JSONResponse({"known": True, "reason": None}, headers=NOT_KEPT)


NOT_KEPT = {"Cache-Control": "no-store"}  # an answer about a key, for no cache to keep
SECURITY_HEADERS = {
    # Everything is our own: no script, style or connection to anywhere else (blob: images
    # are a document's pages, fetched from this server with the key).
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
    "script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _findings_notice(request: Request, language: str) -> str | None:
    notice = findings_notice(request.app.state)
    return text(notice, language) if notice is not None else None


def _server_limits() -> dict[str, object]:
    """What the page must do as the server does, read from the server's own constants and
    request models each time the page is rendered: a copy in the script would drift."""
    return {
        # the chat's answer is asked again shorter only where the daily allowance holds as
        # many answer tokens as the server's least (as the server does for its own answers)
        "least_answer": allowance.LEAST_ANSWER_TOKENS,
        "passage_max": collections.MAX_PASSAGE_CHARS,  # a source's passage, sent to mark it
        # a speech's length: its default, least and most minutes
        "minutes": _field(assist_routes.DraftBody, "minutes"),
        "formats": ",".join(READERS),  # the files a reader exists for: uploads, a tender
        # the question's field takes no more than the search and the answer do
        "question_max": min(
            _field(collections.SearchRequest, "query")["maxLength"],
            _field(collection_answers.AnswerRequest, "question")["maxLength"],
        ),
        # a draft's fields, as long as the server takes them
        "draft_max": {
            name: _field(assist_routes.DraftBody, name)["maxLength"]
            for name in ("subject", "audience", "occasion")
        },
    }


def _field(model: type[BaseModel], name: str) -> dict[str, object]:
    """A field of a request as the server validates it (`default`, `minimum`, `maximum` …)."""
    return model.model_json_schema()["properties"][name]


@cache
def _template():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
    )
    return environment.get_template("index.html")
