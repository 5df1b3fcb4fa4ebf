"""How a request's work runs once it is accepted: a place in the queue, generation in a worker
thread (an upstream engine's call in the event loop), cancellation when the client leaves, and —
however it ends — the quota settled, the audit record written and the tokens counted."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from gemeingut.i18n import _
from gemeingut.serve.backends import (
    Backend,
    GeneratesAsync,
    GenerationResult,
    Prompt,
    Relaying,
    SamplingParams,
    StreamsAsync,
)
from gemeingut.serve.gateway.audit_log import ESTIMATED
from gemeingut.serve.gateway.gate import Admission, refused_as
from gemeingut.serve.http_errors import APIError, backend_errors_as_http
from gemeingut.serve.metrics import Metrics
from gemeingut.serve.model_queue import ModelQueue, Ticket
from gemeingut.serve.schemas import Usage, UsageChunks
from gemeingut.serve.streaming import (
    SSE_HEADERS,
    AnyTextStream,
    ResponseMeta,
    usage_of,
)

DISCONNECT_POLL_SECONDS = 0.25  # how often a waiting non-streamed request checks its client
T = TypeVar("T")


async def answered(
    request: Request,
    queue: ModelQueue,
    admission: Admission | None,
    backend: Backend,
    prompts: list[Prompt],
    params: SamplingParams,
    n: int,
    param: str,
) -> tuple[list[GenerationResult], Usage]:
    """Generate `n` choices per prompt; count the tokens, settle the quota and write the audit
    record before the answer is sent."""
    results = await generate(request, queue, admission, backend, prompts, params, n, param)
    usage = usage_of(results, per_prompt=n)
    known = all(r.usage_known for r in results)
    estimated = _estimated(results)
    if known and estimated is None:
        metrics = request.app.state.metrics
        metrics.count_tokens(usage.prompt_tokens, usage.completion_tokens, backend.model_name)
    await finish(admission, 200, usage, [r.text for r in results], estimated, known=known)
    return results, usage


async def streamed(
    request: Request,
    queue: ModelQueue,
    admission: Admission | None,
    backend: Backend,
    prompt: Prompt,
    params: SamplingParams,
    param: str,
    events: Callable[..., AsyncIterator[str]],
    meta: ResponseMeta,
    usage: UsageChunks,
) -> StreamingResponse:
    """A stream as server-sent events (`chat_events` or `completion_events`); its end counts
    the tokens, settles the quota and completes the audit record."""
    stream, ticket = await open_stream(queue, admission, backend, prompt, params, param=param)
    end = stream_end(request, admission, backend.model_name)
    body = events(stream, meta, usage, ticket, end)
    return StreamingResponse(body, media_type="text/event-stream", headers=SSE_HEADERS)


async def open_stream(
    queue: ModelQueue,
    admission: Admission | None,
    backend: Backend,
    prompt: Prompt,
    params: SamplingParams,
    param: str,
) -> tuple[AnyTextStream, Ticket]:
    """Take a queue place and open the stream before answering, so that a full queue is still
    a clean 503 and a rejected prompt a clean 400 (each completing the stream's audit record,
    which `admit` committed with the reservation, before the first byte)."""
    try:
        ticket = queue.admit()
    except APIError as error:
        await failed(admission, error)
        raise
    try:
        if isinstance(backend, StreamsAsync):
            with backend_errors_as_http(param):
                stream: AnyTextStream = await backend.astream(prompt, params)
        else:
            stream = await rejections_as_400(backend.stream, prompt, params, param=param)
    except BaseException as error:
        ticket.release()
        await failed(admission, error)
        raise
    if admission is not None:
        admission.streaming = True  # its record, opened with the reservation, ends with it
    return stream, ticket


async def generate(
    request: Request,
    queue: ModelQueue,
    admission: Admission | None,
    backend: Backend,
    prompts: list[Prompt],
    params: SamplingParams,
    n: int,
    param: str,
) -> list[GenerationResult]:
    """Wait for the model and generate; a client that hangs up cancels its work (the backend
    stops its rows; an engine's call is cancelled, which closes its connection to the engine)
    and is charged what was generated: the prompts answered before, and the prompt the engine
    was reading. A failure still settles the quota and is recorded."""
    cancel = threading.Event()
    engine_call = isinstance(backend, GeneratesAsync)
    done: list[GenerationResult] = []  # an engine's answers, prompt by prompt
    try:
        async with queue.admit():
            work = asyncio.ensure_future(
                _generation(backend, prompts, params, n, cancel, param, done)
            )
            try:
                while not (await asyncio.wait({work}, timeout=DISCONNECT_POLL_SECONDS))[0]:
                    if await request.is_disconnected():
                        cancel.set()
                        if engine_call:  # a worker thread's rows stop at `cancel` instead
                            work.cancel()
            finally:
                if engine_call and not work.done():  # this request itself was cancelled
                    work.cancel()
            results = done if work.cancelled() else work.result()
    except BaseException as error:
        await failed(admission, error)
        raise
    if cancel.is_set():  # recorded as nginx does: 499; what was generated still counts
        used = usage_of(results, per_prompt=n)
        if work.cancelled():  # the engine read the prompt it was answering
            reading = prompts[len(results) // n : len(results) // n + 1]
            used = _plus_prompt(used, await _unanswered(backend, reading))
        known = all(r.usage_known for r in results)
        await finish(admission, 499, used, decision=_estimated(results), known=known)
        raise APIError(499, _("the client closed the request"), code="client_closed")
    return results


async def _generation(
    backend: Backend,
    prompts: list[Prompt],
    params: SamplingParams,
    n: int,
    cancel: threading.Event,
    param: str,
    done: list[GenerationResult],
) -> list[GenerationResult]:
    """An engine's calls in the event loop (cancellable), one a prompt, each answer kept in
    `done` as it comes, so that a cancelled request still knows them; the model's work in a
    worker thread."""
    with backend_errors_as_http(param):
        if isinstance(backend, GeneratesAsync):
            for prompt in prompts:
                done.extend(await backend.agenerate_batch([prompt], params, n))
            return done
        return await run_in_threadpool(backend.generate_batch, prompts, params, n, cancel)


async def _unanswered(backend: Backend, prompts: list[Prompt]) -> int:
    """The prompt tokens of an engine's call cancelled before it answered, as far as is known
    (the engine read them); nothing of its answer reached the client."""
    if not prompts or not isinstance(backend, GeneratesAsync):
        return 0
    return await backend.prompt_tokens(prompts) or 0


def _plus_prompt(usage: Usage, tokens: int) -> Usage:
    prompt = usage.prompt_tokens + tokens
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=usage.completion_tokens,
        total_tokens=prompt + usage.completion_tokens,
    )


async def finish(
    admission: Admission | None,
    status: int,
    usage: Usage | None = None,
    answers: list[str] | None = None,
    decision: str | None = None,
    known: bool = True,
) -> None:
    """Settle and record; `usage` None: nothing was generated (0 tokens); `known` False: the
    tokens are unknown, and the whole reservation counts."""
    if admission is not None:
        prompt, completion = (usage.prompt_tokens, usage.completion_tokens) if usage else (0, 0)
        tokens = (prompt, completion) if known else (None, None)
        await admission.settle(status, *tokens, answers, decision)


async def failed(admission: Admission | None, error: BaseException) -> None:
    """Record a request that failed before it was answered, with its status (500 for what was
    not foreseen) and, where a check refused it (a full queue, a prompt longer than the
    model's context, any 4xx of the backend), that check rather than `allowed`: the gate had
    let the request through, the model did not take it."""
    status = getattr(error, "status", 500)
    refused = isinstance(error, APIError) and (error.code == "queue_full" or status < 500)
    await finish(admission, status, decision=refused_as(error) if refused else None)


def stream_end(
    request: Request, admission: Admission | None, model: str | None = None
) -> Callable[[GenerationResult | None, int], Awaitable[None]]:
    """What a stream calls when it ends: count its tokens, settle the quota and complete the
    audit record with the stream's status (a stream cut short: the tokens it relayed, where
    its engine's stream can tell; otherwise, or where an engine told no usage that could be
    counted, unknown, and the reservation counts)."""
    metrics: Metrics = request.app.state.metrics

    async def end(result: GenerationResult | None, status: int) -> None:
        tokens: tuple[int | None, int | None] = (None, None)  # unknown: the reservation counts
        estimated = _estimated([result] if result is not None else [])
        if result is not None and result.usage_known:
            tokens = (result.prompt_tokens, result.completion_tokens)
            if estimated is None:
                metrics.count_tokens(result.prompt_tokens, result.completion_tokens, model)
        if admission is not None:
            answers = [result.text] if result is not None else None
            await admission.settle(status, *tokens, answers=answers, decision=estimated)

    return end


def _estimated(results: list[GenerationResult]) -> str | None:
    """The decision that marks a record whose token counts are an estimate (an engine's
    `/tokenize` failed or was too slow), else None."""
    return ESTIMATED if any(r.usage_estimated for r in results) else None


async def screened(
    screen: Callable[..., tuple[list[T], str]], request: Request, *args: object
) -> tuple[list[T], str]:
    """`screen_texts` or `screen_prompts`: in a worker thread where a policy applies (its
    rules, a classifier, an engine's /detokenize can take a while); without one they return
    at once, so here, without a thread's hand-off."""
    if request.app.state.policy is None:
        return screen(request, *args)
    return await run_in_threadpool(screen, request, *args)


async def chat_prompt(backend: Backend, messages: list[dict[str, str]], param: str) -> Prompt:
    """A conversation as the backend's prompt. A backend in front of an engine (`Relaying`)
    only packs the messages, which the engine puts into its own template: that happens here,
    without a worker thread's hand-off; a local tokenizer's Jinja template runs in one."""
    if isinstance(backend, Relaying):
        with backend_errors_as_http(param):
            return backend.apply_chat_template(messages)
    return await rejections_as_400(backend.apply_chat_template, messages, param=param)


async def rejections_as_400(fn: Callable[..., T], *args: object, param: str) -> T:
    """Run blocking backend work in a worker thread; a rejected request becomes a 400 (a 404
    where what was asked for does not exist), an engine that failed a 502."""
    with backend_errors_as_http(param):
        return await run_in_threadpool(fn, *args)
