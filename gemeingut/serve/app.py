"""The OpenAI-compatible HTTP server: `create_app` and its routes (`runner.py` starts it).

Routes stay thin: check the model name, screen the text against the policy, turn the request
into `SamplingParams`, let `work.py` run it (queue, quota, generation, audit), wrap the result
in OpenAI's shape. The backend reaches the routes as a FastAPI
dependency (`app.state.backend`), so one app serves exactly the backend it was created with and
tests can hand in any object that speaks the `Backend` protocol.

Requests reach the model through a bounded queue (`app.state.queue`, see `model_queue.py`);
`RequestGuard` refuses foreign Host headers and oversized bodies before any route runs
(`guards.py`); `RequestContext` records every answer of an audited route that no check
recorded (`request_context.py`); `MetricsMiddleware` counts every answer (`metrics.py`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from gemeingut.apps.assistants.rulefile import Rule
from gemeingut.apps.rag.rerank import Reranker
from gemeingut.i18n import LANGUAGES, _, text
from gemeingut.serve.answer_room import refuse_beyond_context
from gemeingut.serve.api_docs import docs_router
from gemeingut.serve.assist_routes import assist_router
from gemeingut.serve.backends import (
    Backend,
    Relaying,
    SamplingParams,
    Tokenizing,
)
from gemeingut.serve.collection_answers import answers_router
from gemeingut.serve.collection_documents import documents_router
from gemeingut.serve.collections import OpenCollections, collections_router
from gemeingut.serve.embeddings import embeddings_router
from gemeingut.serve.findings_routes import FindingsDesk, findings_router
from gemeingut.serve.findings_terms import findings_terms
from gemeingut.serve.gateway.audit_log import ADDRESS_COLUMNS, CONTENT_COLUMNS, LOGGED_COLUMNS
from gemeingut.serve.gateway.content_privacy import content_terms
from gemeingut.serve.gateway.gate import CallerDep, Gateway, admit
from gemeingut.serve.gateway.identity import Principal, utcnow
from gemeingut.serve.gateway.leases import register_now
from gemeingut.serve.gateway.policy import Policy
from gemeingut.serve.gateway.records import (
    Stored,
    deployment_facts,
    record_again,
    record_deployment,
)
from gemeingut.serve.gateway.records_servers import record_stop
from gemeingut.serve.gateway.retention import AUDIT_DAYS
from gemeingut.serve.guards import RequestGuard, allowed_hosts
from gemeingut.serve.http_errors import (
    RETRY_ENGINE,
    APIError,
    UnexpectedErrors,
    install_error_handlers,
    request_language,
)
from gemeingut.serve.lens_route import lens_router
from gemeingut.serve.limits import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_UPLOADS, DEFAULT_MAX_WAITING
from gemeingut.serve.logprobs import chat_logprobs, completion_logprobs, echoed_prompt
from gemeingut.serve.metrics import Metrics, MetricsMiddleware
from gemeingut.serve.model_audit import AuditSummary
from gemeingut.serve.model_capabilities import capabilities
from gemeingut.serve.model_card import ModelCardText
from gemeingut.serve.model_openness import ModelOpenness, unrated
from gemeingut.serve.model_queue import ModelQueue
from gemeingut.serve.oidc import OidcProvider, oidc_router
from gemeingut.serve.openapi_security import declare_api_keys
from gemeingut.serve.provenance import provenance
from gemeingut.serve.request_context import RequestContext
from gemeingut.serve.schemas import (
    AssistantMessage,
    ChatChoice,
    ChatCompletion,
    ChatCompletionRequest,
    Completion,
    CompletionChoice,
    CompletionRequest,
    ErrorResponse,
    Health,
    ModelCard,
    ModelList,
    Readiness,
)
from gemeingut.serve.screening import screen_prompts, screen_texts
from gemeingut.serve.served import ModelEntry, ServedModel, served_model, served_models
from gemeingut.serve.streaming import (
    ResponseMeta,
    chat_events,
    completion_events,
)
from gemeingut.serve.tokenizer_routes import tokenizer_router
from gemeingut.serve.trace_route import TraceIndex, trace_router
from gemeingut.serve.upload_slots import UploadSlots
from gemeingut.serve.usage_route import usage_router
from gemeingut.serve.work import answered, chat_prompt, screened, streamed
from gemeingut.serve.writers import refuse_unless_writes

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorResponse, "description": "Invalid request"},
    404: {"model": ErrorResponse, "description": "Unknown model"},
}
MARKDOWN = "text/markdown; charset=utf-8"
STREAM_NOTE = "; with `stream: true`, `text/event-stream` of `data: {chunk}` events, then `[DONE]`"


@asynccontextmanager
async def _closing_backends(app: FastAPI) -> AsyncIterator[None]:
    """At start, the gateway's process registers, in the process that serves (each worker of
    `--workers`, after its start), not with its first request: `admin audit
    new-pseudonym-key` refuses while a server that holds the old key runs. `gemeingut serve`
    registered it before its model loaded (`runner.build_app`); here (`leases.register_now`)
    where that failed on the database, or for an app built otherwise.
    At shutdown, backends that hold connections (an upstream engine's pool) close them, and
    so does the gateway's database: when SQLite's last connection closes, it writes its
    write-ahead log into the file and removes it (and `-shm`), so that the stopped server's
    file alone is the database, and a backup copied over it is what it then holds."""
    if app.state.gateway is not None:
        await app.state.gateway.call(register_now, app.state.gateway.leases)
    yield
    for served in app.state.models.values():
        close = getattr(served.backend, "aclose", None)
        if close is not None:
            await close()
    if app.state.gateway is not None:
        record_stop(app.state.gateway.engine)  # the record counts it no longer
        app.state.gateway.close()  # unregisters its process (leases.py) too


def create_app(
    backend: Backend,
    hosts: frozenset[str] | None = allowed_hosts("127.0.0.1"),
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_waiting: int = DEFAULT_MAX_WAITING,
    gateway: Gateway | None = None,
    max_running: int | None = None,
    policy: Policy | None = None,
    openness: ModelOpenness | None = None,
    audit_retention_days: int | None = None,
    collections: Path | None = None,
    page: bool = True,
    findings: FindingsDesk | None = None,
    trace: TraceIndex | None = None,
    audit: AuditSummary | None = None,
    reranker: Reranker | None = None,
    also: tuple[ModelEntry, ...] = (),
    oidc: OidcProvider | None = None,
    tender_rules: list[Rule] | None = None,
    upload_max_bytes: int | None = None,
    card: ModelCardText | None = None,
    max_uploads: int = DEFAULT_MAX_UPLOADS,
    port: int | None = None,
    port_asked: int | None = None,
) -> FastAPI:
    """An app that serves `backend` under the OpenAI routes, plus `/health` and `/ready`;
    requests must address one of `hosts` (None: any) and carry at most `max_body_bytes`.
    With a `gateway`, every model route needs a key, counts against quotas and is audited.
    `max_running` requests reach the backend at once (default: as many as it batches).
    A `policy` screens every prompt and is published at `/v1/policy`; `openness` (licence and
    ratings, computed from the model's files) and `audit` (a bundle's audit in numbers) are
    shown on `/v1/models`, and its `card` (README.md) at `/v1/models/{id}/card`; the document
    `collections` under that folder are searchable at `/v1/collections` by their groups; with
    `page`, `/` is the web page for people (chat, documents, a look inside the model); with
    `findings`, people report what the model did wrong and a triage group decides; with a
    `trace` index, `/v1/trace` finds where a phrase occurs in the model's training data; with
    `oidc`, people sign in to the page through their organisation's identity provider;
    `tender_rules` are what `/v1/assist/tender` checks against (default: the shipped ones);
    with `upload_max_bytes`, people of a collection's groups add documents of up to that size
    to it (None: documents come only through `gemeingut rag ingest`), `max_uploads` at once
    by all the server processes that serve the folder (`upload_slots.py`); `port`, the one
    it listens on, and `port_asked` (`--port`) go into the record of processing activities."""
    app = FastAPI(
        title="gemeingut",
        summary="OpenAI-compatible API for an open language model on your own machine.",
        lifespan=_closing_backends,
        # FastAPI's own pages load their scripts from a CDN: ours come from this server, and
        # so does the description, in the reader's language (api_docs.py)
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.add_middleware(
        RequestGuard,
        hosts=hosts,
        max_body_bytes=max_body_bytes,
        upload_max_bytes=upload_max_bytes if collections is not None else None,
        keys_required=gateway is not None,
    )
    app.state.backend = backend  # the default model: the page's, the documents'
    app.state.models = served_models(
        [ModelEntry(backend, openness, audit, card), *also], max_waiting, max_running
    )
    app.state.queue = app.state.models[backend.model_name].queue
    app.state.gateway = gateway
    if gateway is not None:  # for the record of processing activities (admin audit records)
        facts = deployment_facts(
            backend.model_name,
            getattr(backend, "base_url", None),  # an upstream engine's; None in process
            audit_retention_days,
            policy,
            utcnow(),
            gateway.content_days,
            oidc.settings if oidc is not None else None,
            Stored(
                collections,
                upload_max_bytes,
                findings.path if findings is not None else None,
                findings.triage_group if findings is not None else None,
            ),
            port,
            port_asked,
        )
        record_deployment(gateway.engine, facts)
        gateway.leases.registered_again = partial(record_again, facts)
    app.state.policy = policy
    app.state.openness = openness
    app.state.audit = audit
    app.state.audit_retention_days = audit_retention_days
    app.state.collections = (
        OpenCollections(collections, {n: m.backend for n, m in app.state.models.items()})
        if collections is not None
        else None
    )
    app.state.upload_max_bytes = upload_max_bytes if collections is not None else None
    app.state.max_body_bytes = max_body_bytes  # the page checks a file's size against it
    app.state.upload_slots = (
        UploadSlots(collections, max_uploads)
        if collections is not None and upload_max_bytes is not None
        else None
    )
    app.state.started = int(time.time())
    app.state.metrics = Metrics(backend.model_name)
    for name, served in app.state.models.items():
        gauge = app.state.metrics.queue_waiting.labels(name)
        gauge.set(served.queue.waiting)
        served.queue.on_waiting = gauge.set  # a value, not a function: workers add theirs up
    install_error_handlers(app)
    app.include_router(router)
    app.include_router(tokenizer_router)
    app.include_router(embeddings_router)
    app.include_router(collections_router)
    app.include_router(documents_router)
    app.include_router(answers_router)
    app.include_router(lens_router)
    app.state.findings = findings
    app.state.trace = trace
    app.state.reranker = reranker  # orders the collections' best chunks again, when given
    app.state.tender_rules = tender_rules
    app.include_router(findings_router)
    app.include_router(assist_router)
    app.include_router(trace_router)
    app.include_router(usage_router)
    app.include_router(docs_router)  # /docs, /redoc
    app.state.oidc = oidc  # the page's sign-in through the identity provider, when given
    if oidc is not None:
        if gateway is None:
            raise ValueError(_("signing in through an identity provider needs the gateway"))
        app.include_router(oidc_router)
    if page:
        from gemeingut.apps.web.page import static_files, web_router

        app.include_router(web_router)
        app.mount("/static", static_files, name="static")
    # Outermost, so that refusals of the guard (413, foreign Host) are counted too.
    routers = (
        router,
        tokenizer_router,
        embeddings_router,
        collections_router,
        documents_router,
        answers_router,
        lens_router,
        findings_router,
        assist_router,
        trace_router,
        usage_router,
    )
    routes = frozenset(route.path for r in routers for route in r.routes)
    if gateway is not None:  # the routes that check a key say so: /docs sends one
        declare_api_keys(app, routers)
    app.add_middleware(UnexpectedErrors)  # a 500 that keeps the connection, seen by both below
    app.add_middleware(RequestContext, gateway=gateway)  # outside the guard: records its 413s
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics, routes=routes)
    return app


def get_backend(request: Request) -> Backend:
    return request.app.state.backend


def get_queue(request: Request) -> ModelQueue:
    return request.app.state.queue


BackendDep = Annotated[Backend, Depends(get_backend)]
QueueDep = Annotated[ModelQueue, Depends(get_queue)]
router = APIRouter()


@router.get("/health")
def health(backend: BackendDep) -> Health:
    """Liveness: the process answers."""
    return Health(model=backend.model_name)


@router.get("/ready", responses={503: {"model": ErrorResponse, "description": "Queue full"}})
async def ready(request: Request, backend: BackendDep, queue: QueueDep) -> Readiness:
    """Readiness: the model is loaded (or its engine answers), the gateway's database answers,
    and a request would be admitted now."""
    if queue.is_full():
        queue.admit()  # raises the 503 with Retry-After
    gateway = request.app.state.gateway
    if gateway is not None:
        from gemeingut.serve.gateway.gate import database_answers, database_unavailable

        if not await run_in_threadpool(database_answers, gateway.engine):
            raise database_unavailable()
    probe = getattr(backend, "engine_problem", None)
    if probe is not None and (problem := await probe()) is not None:
        raise APIError(
            503, problem, code="engine_unavailable", type="server_error", headers=RETRY_ENGINE
        )
    return Readiness(model=backend.model_name, waiting=queue.waiting)


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus metrics: requests, tokens, latency, queue, quota refusals (no user data)."""
    exposition = request.app.state.metrics.exposition()
    return PlainTextResponse(exposition, media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/policy")
def published_policy(request: Request) -> dict[str, object]:
    """What this server filters and why: every rule with its id, German and English text and
    pattern, and the policy file's SHA-256; what the server records of each request and what
    it does with a reported answer. Open to everyone, key or not."""
    policy: Policy | None = request.app.state.policy
    published = (
        policy.published()
        if policy is not None
        else {
            "id": None,
            "rules": [],
            "text": {
                language: text(_("This server filters no requests."), language)
                for language in LANGUAGES
            },
        }
    )
    findings = findings_terms(request.app.state)  # what a reported answer becomes
    return published | {"audit_log": _audit_log_terms(request), "findings": findings}


def _audit_log_terms(request: Request) -> dict[str, object]:
    """What the server records about each request, and for how long, read from the audit
    table itself (so a column added later shows here) and from the periods stored now (an
    administrator's change shows within seconds): users read it on /v1/policy. Where content
    is logged, which personal data in it is replaced (`content_privacy.content_terms`), or
    `content_redaction_known: false` while the database cannot say: the page stays up."""
    gateway: Gateway | None = request.app.state.gateway
    if gateway is None:
        return {"kept": False}
    columns = set(LOGGED_COLUMNS)
    content_days = gateway.content_days
    return {
        "kept": True,
        "fields": sorted(columns),
        "content": bool(columns & CONTENT_COLUMNS) or bool(content_days),
        "content_retention_days": content_days,
        **(content_terms(gateway.engine) if content_days else {}),
        "ip_addresses": bool(columns & ADDRESS_COLUMNS),
        "retention_days": gateway.periods.days(AUDIT_DAYS, request.app.state.audit_retention_days),
    }


@router.get("/v1/models")
def list_models(request: Request, principal: CallerDep) -> ModelList:
    """The models this key may use, each with its licence, openness and audit."""
    models: dict[str, ServedModel] = request.app.state.models
    return ModelList(
        data=[
            _model_card(model, request)
            for name, model in models.items()
            if principal is None or principal.may_use(name)
        ]
    )


@router.get(
    "/v1/models/{model_id:path}/card",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {MARKDOWN: {}}, "description": "The model card"},
        404: ERROR_RESPONSES[404],
    },
)
def model_card(model_id: str, request: Request, principal: CallerDep) -> PlainTextResponse:
    """The model's card (its README.md, as read at start), for whoever may use the model."""
    model = _visible_model(request, model_id, principal)
    if model.card is None:
        raise APIError(
            404,
            _("the server has no card of the model {name!r}", name=model.name),
            code="model_card_not_found",
        )
    return PlainTextResponse(model.card.markdown, media_type=MARKDOWN)


@router.get("/v1/models/{model_id:path}", responses={404: ERROR_RESPONSES[404]})
def retrieve_model(model_id: str, request: Request, principal: CallerDep) -> ModelCard:
    return _model_card(_visible_model(request, model_id, principal), request)


def _visible_model(request: Request, model_id: str, principal: Principal | None) -> ServedModel:
    """The model `model_id` names, or the 404 of a model that does not exist: a model this
    key may not use is not shown to exist."""
    if principal is not None and not principal.may_use(model_id):
        model_id = ""
    return served_model(request, model_id, principal)


def _model_card(model: ServedModel, request: Request) -> ModelCard:
    """The model's card, what a person reads in it in the request's language."""
    language = request_language(request)
    openness = model.openness or unrated()  # no evidence is shown as such, never as null
    return ModelCard(
        id=model.name,
        created=request.app.state.started,
        max_model_len=getattr(model.backend, "context_length", None),
        license=openness.licenses.get("weights"),
        provenance=provenance(model),
        capabilities=capabilities(model.backend),
        prompts=getattr(model.backend, "prompts", {}),  # a language model has none
        openness=openness.in_language(language),
        audit=model.audit.in_language(language) if model.audit else None,
        card=model.card.link(model.name) if model.card else None,
    )


@router.post(
    "/v1/chat/completions",
    response_model=None,
    responses={
        200: {"model": ChatCompletion, "description": "The answer" + STREAM_NOTE},
        **ERROR_RESPONSES,
    },
)
async def chat_completions(
    body: ChatCompletionRequest, request: Request, principal: CallerDep
) -> ChatCompletion | StreamingResponse:
    """Continue a conversation. With `stream: true` the answer arrives as server-sent events
    of `chat.completion.chunk` objects."""
    model = served_model(request, body.model, principal, scoped=False)
    refuse_unless_writes(model)
    backend, queue = model.backend, model.queue
    if body.top_logprobs is not None and not body.logprobs:
        raise APIError(
            400, _("top_logprobs needs logprobs: true"), param="top_logprobs", code="invalid_value"
        )
    refuse_beyond_context(backend, body.token_limit(), body.token_limit_field())
    meta = ResponseMeta(
        f"chatcmpl-{uuid.uuid4().hex}",
        int(time.time()),
        backend.model_name,
        request_language(request),
    )
    messages = [message.as_template_input() for message in body.messages]
    contents, decision = await screened(
        screen_texts,
        request,
        principal,
        meta.id,
        [m["content"] for m in messages],
        "messages",
        backend.model_name,
    )
    messages = [m | {"content": c} for m, c in zip(messages, contents, strict=True)]
    params = _sampling_params(body.token_limit(), body, logprobs=body.top_k())
    prompt = await chat_prompt(backend, messages, "messages")
    if body.stream:
        _refuse_with_stream({"n": body.n > 1, "logprobs": body.logprobs})
    relaying = isinstance(backend, Relaying)  # the engine renders its log-probabilities
    tokenizer = _tokenizer_for(backend, "logprobs") if body.logprobs and not relaying else None
    admission = await admit(
        request,
        principal,
        backend,
        [prompt],
        params,
        body.n,
        body.stream,
        "messages",
        meta.id,
        decision,
        messages,
    )
    if body.stream:
        return await streamed(
            request,
            queue,
            admission,
            backend,
            prompt,
            params,
            "messages",
            chat_events,
            meta,
            body.usage_chunks(),
        )
    results, usage = await answered(
        request, queue, admission, backend, [prompt], params, body.n, "messages"
    )
    choices = [
        ChatChoice(
            index=i,
            message=AssistantMessage(content=result.text),
            logprobs=chat_logprobs(tokenizer, result, body.top_logprobs or 0)
            if tokenizer is not None
            else result.relayed_logprobs,
            finish_reason=result.finish_reason,
        )
        for i, result in enumerate(results)
    ]
    return ChatCompletion(
        id=meta.id, created=meta.created, model=meta.model, choices=choices, usage=usage
    )


@router.post(
    "/v1/completions",
    response_model=None,
    responses={
        200: {"model": Completion, "description": "The continuation" + STREAM_NOTE},
        **ERROR_RESPONSES,
    },
)
async def completions(
    body: CompletionRequest, request: Request, principal: CallerDep
) -> Completion | StreamingResponse:
    """Continue text or token-id prompts (OpenAI's legacy completions endpoint).

    With `echo` and `logprobs` every prompt token is scored, which is how
    lm-evaluation-harness computes log-likelihoods (`--model local-completions`).
    """
    model = served_model(request, body.model, principal, scoped=False)
    refuse_unless_writes(model)
    backend, queue = model.backend, model.queue
    prompts = body.prompts()
    if body.best_of not in (None, body.n):
        raise APIError(
            400,
            _("best_of is only supported equal to n"),
            param="best_of",
            code="unsupported_value",
        )
    if body.max_tokens == 0 and not body.echo:
        raise APIError(
            400,
            _("max_tokens 0 generates nothing; it needs echo: true to score the prompt"),
            param="max_tokens",
            code="invalid_value",
        )
    refuse_beyond_context(backend, body.token_limit(), body.token_limit_field())
    scoring = body.logprobs if body.echo else None
    params = _sampling_params(body.token_limit(), body, body.logprobs, prompt_logprobs=scoring)
    relaying = isinstance(backend, Relaying)  # the engine echoes and renders log-probabilities
    if relaying:
        params = replace(params, echo=body.echo)
        if body.return_tokens_as_token_ids:
            raise APIError(
                400,
                _("return_tokens_as_token_ids: not passed on to the engine behind this gateway"),
                param="return_tokens_as_token_ids",
                code="unsupported_parameter",
            )
    meta = ResponseMeta(
        f"cmpl-{uuid.uuid4().hex}", int(time.time()), backend.model_name, request_language(request)
    )
    if body.stream:
        _refuse_with_stream(
            {
                "n": body.n > 1,
                "prompt": len(prompts) > 1,
                "echo": body.echo,
                "logprobs": body.logprobs is not None,
            }
        )
    needs_tokenizer = (body.echo or body.logprobs is not None) and not relaying
    tokenizer = (
        _tokenizer_for(backend, "echo" if body.echo else "logprobs") if needs_tokenizer else None
    )
    prompts, decision = await screened(
        screen_prompts, request, principal, meta.id, backend, prompts
    )
    admission = await admit(
        request,
        principal,
        backend,
        prompts,
        params,
        body.n,
        body.stream,
        "prompt",
        meta.id,
        decision,
    )
    if body.stream:
        return await streamed(
            request,
            queue,
            admission,
            backend,
            prompts[0],
            params,
            "prompt",
            completion_events,
            meta,
            body.usage_chunks(),
        )
    results, usage = await answered(
        request, queue, admission, backend, prompts, params, body.n, "prompt"
    )
    choices = []
    for i, result in enumerate(results):
        text, logprobs = result.echoed + result.text, result.relayed_logprobs
        if tokenizer is not None:
            if body.echo:
                text = echoed_prompt(tokenizer, result) + text
            if body.logprobs is not None:
                logprobs = completion_logprobs(
                    tokenizer, result, body.echo, body.return_tokens_as_token_ids
                )
        choices.append(
            CompletionChoice(
                index=i, text=text, logprobs=logprobs, finish_reason=result.finish_reason
            )
        )
    return Completion(
        id=meta.id, created=meta.created, model=meta.model, choices=choices, usage=usage
    )


def _refuse_with_stream(conflicts: dict[str, bool]) -> None:
    """Streaming sends one choice's text; what it cannot carry is refused, not dropped."""
    for field, conflicting in conflicts.items():
        if conflicting:
            raise APIError(
                400,
                _(
                    "{field}: not supported together with stream: true; send stream: false",
                    field=field,
                ),
                param=field,
                code="unsupported_parameter",
            )


def _tokenizer_for(backend: Backend, field: str) -> Tokenizing:
    if not isinstance(backend, Tokenizing):
        raise APIError(
            400,
            _("{field}: this model's engine returns no tokens", field=field),
            param=field,
            code="unsupported_parameter",
        )
    return backend


def _sampling_params(
    max_tokens: int | None,
    body: ChatCompletionRequest | CompletionRequest,
    logprobs: int | None = None,
    prompt_logprobs: int | None = None,
) -> SamplingParams:
    return SamplingParams(
        max_tokens=max_tokens,
        temperature=body.temperature,
        top_p=body.top_p,
        stop=body.stop_strings(),
        seed=body.seed,
        logprobs=logprobs,
        prompt_logprobs=prompt_logprobs,
    )
