"""The OpenAI-compatible HTTP server: routes, and `run_server` for `gemeingut serve PATH`.

Routes stay thin: check the model name, turn the request into `SamplingParams`, call the
backend, wrap the result in OpenAI's shape. The backend reaches the routes as a FastAPI
dependency (`app.state.backend`), so one app serves exactly the backend it was created with and
tests can hand in any object that speaks the `Backend` protocol.

Requests take turns at the model through a bounded queue (`app.state.queue`, see
`model_queue.py`); `RequestGuard` refuses foreign Host headers and oversized bodies before any
route runs (`guards.py`).
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from gemeingut.errors import InputError
from gemeingut.model.loading import ADAPTER_CONFIG
from gemeingut.serve.backends import (
    Backend,
    GenerationResult,
    Prompt,
    RequestRejected,
    SamplingParams,
    TextStream,
    Tokenizing,
)
from gemeingut.serve.gateway.gate import Admission, CallerDep, Gateway, admit
from gemeingut.serve.gateway.policy import Policy
from gemeingut.serve.guards import RequestGuard, allowed_hosts
from gemeingut.serve.http_errors import APIError, check_model, install_error_handlers
from gemeingut.serve.limits import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_WAITING
from gemeingut.serve.logprobs import chat_logprobs, completion_logprobs, echoed_prompt
from gemeingut.serve.metrics import Metrics, MetricsMiddleware
from gemeingut.serve.model_queue import ModelQueue, Ticket
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
    Usage,
)
from gemeingut.serve.screening import screen_prompts, screen_texts
from gemeingut.serve.streaming import (
    SSE_HEADERS,
    ResponseMeta,
    chat_events,
    completion_events,
    usage_of,
)
from gemeingut.serve.tokenizer_routes import tokenizer_router
from gemeingut.workspace import ARTIFACT_FILE

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorResponse, "description": "Invalid request"},
    404: {"model": ErrorResponse, "description": "Unknown model"},
}
DISCONNECT_POLL_SECONDS = 0.25  # how often a waiting non-streamed request checks its client
STREAM_NOTE = "; with `stream: true`, `text/event-stream` of `data: {chunk}` events, then `[DONE]`"


def create_app(
    backend: Backend,
    hosts: frozenset[str] | None = allowed_hosts("127.0.0.1"),
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_waiting: int = DEFAULT_MAX_WAITING,
    gateway: Gateway | None = None,
    max_running: int | None = None,
    policy: Policy | None = None,
) -> FastAPI:
    """An app that serves `backend` under the OpenAI routes, plus `/health` and `/ready`;
    requests must address one of `hosts` (None: any) and carry at most `max_body_bytes`.
    With a `gateway`, every model route needs a key, counts against quotas and is audited.
    `max_running` requests reach the backend at once (default: as many as it batches).
    A `policy` screens every prompt and is published at `/v1/policy`."""
    app = FastAPI(
        title="gemeingut",
        summary="OpenAI-compatible API for an open language model on your own machine.",
    )
    app.add_middleware(RequestGuard, hosts=hosts, max_body_bytes=max_body_bytes)
    app.state.backend = backend
    running = max_running or getattr(backend, "max_batch_rows", 1)
    app.state.queue = ModelQueue(max_waiting, running)
    app.state.gateway = gateway
    app.state.policy = policy
    app.state.started = int(time.time())
    app.state.metrics = Metrics(backend.model_name)
    app.state.metrics.queue_waiting.labels(backend.model_name).set_function(
        lambda: app.state.queue.waiting
    )
    install_error_handlers(app)
    app.include_router(router)
    app.include_router(tokenizer_router)
    # Outermost, so that refusals of the guard (413, foreign Host) are counted too.
    routes = frozenset(route.path for r in (router, tokenizer_router) for route in r.routes)
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
async def ready(backend: BackendDep, queue: QueueDep) -> Readiness:
    """Readiness: the model is loaded and a request would be admitted now."""
    if queue.is_full():
        queue.admit()  # raises the 503 with Retry-After
    return Readiness(model=backend.model_name, waiting=queue.waiting)


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request) -> PlainTextResponse:
    """Prometheus metrics: requests, tokens, latency, queue, quota refusals (no user data)."""
    exposition = request.app.state.metrics.exposition()
    return PlainTextResponse(exposition, media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/policy")
def published_policy(request: Request) -> dict[str, object]:
    """What this server filters and why: every rule with its id, German and English text and
    pattern, and the policy file's SHA-256. Open to everyone, key or not."""
    policy: Policy | None = request.app.state.policy
    if policy is None:
        return {
            "id": None,
            "rules": [],
            "text": {
                "de": "Dieser Server filtert keine Anfragen.",
                "en": "This server filters no requests.",
            },
        }
    return policy.published()


@router.get("/v1/models")
def list_models(backend: BackendDep, request: Request, principal: CallerDep) -> ModelList:
    """The models this key may use."""
    allowed = principal is None or principal.may_use(backend.model_name)
    return ModelList(data=[_model_card(backend, request)] if allowed else [])


@router.get("/v1/models/{model_id:path}", responses={404: ERROR_RESPONSES[404]})
def retrieve_model(
    model_id: str, backend: BackendDep, request: Request, principal: CallerDep
) -> ModelCard:
    if principal is not None and not principal.may_use(model_id):
        model_id = ""  # a model this key may not use is not shown to exist
    _check_model(model_id, backend)
    return _model_card(backend, request)


def _model_card(backend: Backend, request: Request) -> ModelCard:
    return ModelCard(id=backend.model_name, created=request.app.state.started)


@router.post(
    "/v1/chat/completions",
    response_model=None,
    responses={
        200: {"model": ChatCompletion, "description": "The answer" + STREAM_NOTE},
        **ERROR_RESPONSES,
    },
)
async def chat_completions(
    body: ChatCompletionRequest,
    backend: BackendDep,
    queue: QueueDep,
    request: Request,
    principal: CallerDep,
) -> ChatCompletion | StreamingResponse:
    """Continue a conversation. With `stream: true` the answer arrives as server-sent events
    of `chat.completion.chunk` objects."""
    _check_model(body.model, backend)
    if body.top_logprobs is not None and not body.logprobs:
        raise APIError(400, "top_logprobs needs logprobs: true", param="top_logprobs")
    meta = ResponseMeta(f"chatcmpl-{uuid.uuid4().hex}", int(time.time()), backend.model_name)
    messages = [message.as_template_input() for message in body.messages]
    contents, decision = await run_in_threadpool(
        screen_texts, request, principal, meta.id, [m["content"] for m in messages], "messages"
    )
    messages = [m | {"content": c} for m, c in zip(messages, contents, strict=True)]
    params = _sampling_params(body.token_limit(), body, logprobs=body.top_k())
    prompt = await _rejections_as_400(backend.apply_chat_template, messages, param="messages")
    if body.stream:
        _refuse_with_stream({"n": body.n > 1, "logprobs": body.logprobs})
    tokenizer = _tokenizer_for(backend, "logprobs") if body.logprobs else None
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
    )
    if body.stream:
        stream, ticket = await _open_stream(
            queue, admission, backend, prompt, params, param="messages"
        )
        on_end = _on_end(request, admission)
        events = chat_events(stream, meta, body.include_usage(), ticket, on_end)
        return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)
    results = await _generate(
        request,
        queue,
        admission,
        backend.generate_batch,
        [prompt],
        params,
        body.n,
        param="messages",
    )
    usage = usage_of(results, per_prompt=body.n)
    request.app.state.metrics.count_tokens(usage.prompt_tokens, usage.completion_tokens)
    await _finish(admission, 200, usage)
    choices = [
        ChatChoice(
            index=i,
            message=AssistantMessage(content=result.text),
            logprobs=chat_logprobs(tokenizer, result, body.top_logprobs or 0)
            if tokenizer is not None
            else None,
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
    body: CompletionRequest,
    backend: BackendDep,
    queue: QueueDep,
    request: Request,
    principal: CallerDep,
) -> Completion | StreamingResponse:
    """Continue text or token-id prompts (OpenAI's legacy completions endpoint).

    With `echo` and `logprobs` every prompt token is scored, which is how
    lm-evaluation-harness computes log-likelihoods (`--model local-completions`).
    """
    _check_model(body.model, backend)
    prompts = body.prompts()
    if body.best_of not in (None, body.n):
        raise APIError(400, "best_of is only supported equal to n", param="best_of")
    if body.max_tokens == 0 and not body.echo:
        raise APIError(
            400,
            "max_tokens 0 generates nothing; it needs echo: true to score the prompt",
            param="max_tokens",
        )
    scoring = body.logprobs if body.echo else None
    params = _sampling_params(body.token_limit(), body, body.logprobs, prompt_logprobs=scoring)
    meta = ResponseMeta(f"cmpl-{uuid.uuid4().hex}", int(time.time()), backend.model_name)
    if body.stream:
        _refuse_with_stream(
            {
                "n": body.n > 1,
                "prompt": len(prompts) > 1,
                "echo": body.echo,
                "logprobs": body.logprobs is not None,
            }
        )
    needs_tokenizer = body.echo or body.logprobs is not None
    tokenizer = (
        _tokenizer_for(backend, "echo" if body.echo else "logprobs") if needs_tokenizer else None
    )
    prompts, decision = await run_in_threadpool(
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
        stream, ticket = await _open_stream(
            queue, admission, backend, prompts[0], params, param="prompt"
        )
        on_end = _on_end(request, admission)
        events = completion_events(stream, meta, body.include_usage(), ticket, on_end)
        return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)
    results = await _generate(
        request,
        queue,
        admission,
        backend.generate_batch,
        prompts,
        params,
        body.n,
        param="prompt",
    )
    usage = usage_of(results, per_prompt=body.n)
    request.app.state.metrics.count_tokens(usage.prompt_tokens, usage.completion_tokens)
    await _finish(admission, 200, usage)
    choices = []
    for i, result in enumerate(results):
        text = result.text
        logprobs = None
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


def _check_model(name: str, backend: Backend) -> None:
    check_model(name, backend.model_name)


def _refuse_with_stream(conflicts: dict[str, bool]) -> None:
    """Streaming sends one choice's text; what it cannot carry is refused, not dropped."""
    for field, conflicting in conflicts.items():
        if conflicting:
            raise APIError(
                400,
                f"{field}: not supported together with stream: true; send stream: false",
                param=field,
            )


def _tokenizer_for(backend: Backend, field: str) -> Tokenizing:
    if not isinstance(backend, Tokenizing):
        raise APIError(400, f"{field}: this model's engine returns no tokens", param=field)
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


async def _open_stream(
    queue: ModelQueue,
    admission: Admission | None,
    backend: Backend,
    prompt: Prompt,
    params: SamplingParams,
    param: str,
) -> tuple[TextStream, Ticket]:
    """Take a queue place and open the stream before answering, so that a full queue is still
    a clean 503 and a rejected prompt a clean 400; the audit record is committed before the
    first byte."""
    try:
        ticket = queue.admit()
    except APIError as error:
        await _finish(admission, error.status)
        raise
    try:
        stream = await _rejections_as_400(backend.stream, prompt, params, param=param)
        if admission is not None:
            await run_in_threadpool(admission.open_record)
    except BaseException as error:
        ticket.release()
        await _finish(admission, getattr(error, "status", 500))
        raise
    return stream, ticket


async def _generate(
    request: Request,
    queue: ModelQueue,
    admission: Admission | None,
    fn: Callable[..., list[GenerationResult]],
    *args: object,
    param: str,
) -> list[GenerationResult]:
    """Wait for the model and generate; a client that hangs up cancels its work (the backend
    stops its rows); a failure still settles the quota and is recorded."""
    cancel = threading.Event()
    try:
        async with queue.admit():
            work = asyncio.ensure_future(_rejections_as_400(fn, *args, cancel, param=param))
            while not (await asyncio.wait({work}, timeout=DISCONNECT_POLL_SECONDS))[0]:
                if await request.is_disconnected():
                    cancel.set()
            results = work.result()
        if cancel.is_set():  # recorded as nginx does: 499, client closed the request
            raise APIError(499, "the client closed the request", code="client_closed")
        return results
    except BaseException as error:
        await _finish(admission, getattr(error, "status", 500))
        raise


async def _finish(admission: Admission | None, status: int, usage: Usage | None = None) -> None:
    if admission is not None:
        prompt, completion = (usage.prompt_tokens, usage.completion_tokens) if usage else (0, 0)
        await run_in_threadpool(admission.finish, status, prompt, completion)


def _on_end(
    request: Request, admission: Admission | None
) -> Callable[[GenerationResult | None], None]:
    """What a stream calls when it ends: count its tokens, settle the quota and complete the
    audit record (tokens unknown if the stream was cut short)."""
    metrics: Metrics = request.app.state.metrics

    def end(result: GenerationResult | None) -> None:
        if result is not None:
            metrics.count_tokens(result.prompt_tokens, result.completion_tokens)
        if admission is None:
            return
        if result is None:
            admission.finish(200, None, None, streamed=True)
        else:
            admission.finish(200, result.prompt_tokens, result.completion_tokens, streamed=True)

    return end


T = TypeVar("T")


async def _rejections_as_400(fn: Callable[..., T], *args: object, param: str) -> T:
    """Run blocking backend work in a worker thread; a rejected request becomes a 400."""
    try:
        return await run_in_threadpool(fn, *args)
    except RequestRejected as rejected:
        raise APIError(400, rejected.message, rejected.param or param, rejected.code) from None


# --- `gemeingut serve PATH` -------------------------------------------------------------------

LAYOUTS = (
    (Path("."), "a Hugging Face model directory (config.json) or a LoRA adapter"),
    (Path("model"), "a release bundle (model/config.json)"),
    (Path("bundle") / "model", "a release artifact (bundle/model/config.json)"),
)


def resolve_model_dir(path: Path) -> Path:
    """The Hugging Face model directory inside whatever the user pointed at."""
    if not path.exists():
        raise InputError(f"{path} does not exist", hint=_expected())
    for inner, _ in LAYOUTS:
        candidate = path / inner
        if (candidate / "config.json").is_file() or (candidate / ADAPTER_CONFIG).is_file():
            return candidate.resolve()
    raise InputError(f"{path} holds no model to serve", hint=_expected())


def default_model_name(path: Path) -> str:
    """The name the API lists when none is given.

    For a release artifact, the `model_name` its recipe declared (kept in `artifact.json`);
    otherwise the directory the user named (`gemeingut serve out/my-model` serves `my-model`).
    A path ending in `bundle/model` counts as the release above it.
    """
    top = path.resolve()
    while top.name in {"model", "bundle"} and top.parent != top:
        top = top.parent
    return _declared_release_name(top) or top.name or "model"


def _declared_release_name(artifact_dir: Path) -> str | None:
    try:
        meta = json.loads((artifact_dir / ARTIFACT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("kind") != "release":
        return None
    name = (meta.get("params") or {}).get("model_name")
    return name if isinstance(name, str) and name.strip() else None


def run_server(
    path: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    model_name: str | None = None,
    threads: int | None = None,
    extra_hosts: tuple[str, ...] = (),
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_waiting: int = DEFAULT_MAX_WAITING,
    db: str | None = None,
    open_access: bool = False,
    policy: str | None = None,
) -> None:
    """Load the model found at `path` and serve it until interrupted (blocking).

    The database and the port are checked before the model loads, so that a mistake in either
    is said at once and in our words, not after a minute of loading."""
    import uvicorn

    from gemeingut.serve.backends import TransformersBackend

    model_dir = resolve_model_dir(path)
    if db is None and not open_access and not is_loopback(host):
        raise InputError(
            f"serving on {host} without --db would let anyone who reaches it use the model, "
            "with no key and no audit log",
            "pass --db PATH (then create keys with `gemeingut admin keys create`), or "
            "--no-auth if a proxy in front of the server checks who calls",
        )
    screening = Policy.load(policy) if policy is not None else None
    gateway = None
    if db is not None:
        from gemeingut.serve.gateway.gate import Gateway
        from gemeingut.serve.gateway.store import open_store

        gateway = Gateway(open_store(db))
    sock = bind_socket(host, port)
    try:
        if threads is not None:
            import torch

            torch.set_num_threads(threads)
        backend = TransformersBackend(model_dir, model_name=model_name or default_model_name(path))
        app = create_app(
            backend,
            allowed_hosts(host, extra_hosts),
            max_body_bytes,
            max_waiting,
            gateway,
            policy=screening,
        )
        server = uvicorn.Server(uvicorn.Config(app, log_level="info", timeout_keep_alive=5))
        server.run(sockets=[sock])
    finally:
        sock.close()


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or an `InputError` saying why there is none."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise InputError(
                f"port {port} on {host} is already in use",
                "stop the other server or choose another port with --port",
            ) from None
        raise InputError(
            f"cannot listen on {host}:{port}: {error.strerror}",
            "check --host (an address of this machine) and --port (1024-65535 without root)",
        ) from None
    sock.set_inheritable(True)
    return sock


def _expected() -> str:
    return "expected " + ", ".join(description for _, description in LAYOUTS)
