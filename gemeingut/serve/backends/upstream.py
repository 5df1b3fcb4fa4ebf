"""Any OpenAI-compatible engine behind the gateway: vLLM on a GPU node, llama-server, Ollama, or
another `gemeingut serve`.

The gateway keeps what engines leave out (keys, quotas, audit log, policy, metrics) and passes
the work on: chats go to the engine's `/v1/chat/completions` (it knows its model's chat
template), text and token-id prompts to `/v1/completions`, texts to `/v1/embeddings`. Pooled
HTTP clients keep connections open (aiohttp for streams, `engine_streams.py`; httpx2 for the
other calls); every call has a timeout; closing a stream closes its
connection, which makes vLLM and llama-server abort the generation, and so does cancelling an
answer that is not streamed (`agenerate_batch`: the client hung up). Quota reservations need
the prompt's token count: it comes from the engine's `/tokenize` (vLLM and gemeingut have it);
where there is none, the whole context is reserved and settled to the real usage afterwards.
An engine that states no context (llama-server, Ollama) is asked for at most
`UNSTATED_ANSWER_TOKENS` where the client sets no `max_tokens`, and that is reserved beside the
prompt (its bytes where it cannot be counted): no context is assumed to refuse a prompt by. A
stream cut short is settled to what was relayed: the engine's usage if it sent it, otherwise
the prompt and the relayed text counted by `/tokenize`; so is an answer or a whole stream that
came without usage (an engine that ignores `stream_options.include_usage`), and where nothing
can count its tokens, the reservation counts. The client's `Accept-Language` goes with every
call, so that the engine's own messages, which the gateway quotes, are in the client's
language. A client learns that the engine failed, never where it is: its address (without
the credentials `--upstream` may carry) and the reason go to the server's log, once per kind
of failure (`failures.py`). What the engine sends that is no OpenAI answer (an event that is
not JSON, a stream that ends without saying it finished) is its failure too, and its text is
read as whole characters, also where its JSON holds halves of UTF-16 pairs (`utf16.py`).

What the model can be asked (`/v1/models`' `capabilities`) is what the engine says: its card's
`capabilities` (another gemeingut), Ollama's `/api/show`; where it says nothing (vLLM), both.
llama-server answers `/api/show` as well, but says `completion` whatever it serves (an
embedding model too): Ollama's answer is taken where `/api/version` says Ollama, llama-server
is listed with both. An encoder's prompts on its card (`prompts`, gemeingut's) are relayed.

Log-probabilities, `echo` and the tokenizer routes (`/tokenize`, `/detokenize`,
`/tokenizer_info`) are the engine's: its tokenizer names the tokens, so they are passed on as
the engine renders them (`Relaying`), checked against OpenAI's shapes; only a chat token that
holds part of a character is named as the in-process backend names it, where the engine's
`bytes` say which part (`logprobs.named_by_bytes`). lm-evaluation-harness (`local-completions`,
`tokenizer_backend=remote`) and the audit's endpoint target therefore score an engine through
the gateway, with a key, a quota and an audit record.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
import weakref
from collections.abc import AsyncGenerator
from dataclasses import replace
from functools import partial
from typing import Any, Literal
from weakref import WeakKeyDictionary

import aiohttp
import httpx2
from aiohttp import ClientResponse
from pydantic import BaseModel, ValidationError

from gemeingut.i18n import Message, _, text
from gemeingut.serve.backends.address import shown_address
from gemeingut.serve.backends.engine_events import (
    EventReader,
    error_message,
    event_lines,
    told,
    usage_shaped,
)
from gemeingut.serve.backends.engine_streams import EngineStreams, buffered, closed
from gemeingut.serve.backends.failures import EngineFailures, log
from gemeingut.serve.backends.loop_end import closed_with_loop
from gemeingut.serve.backends.protocol import (
    CLIENT_LANGUAGE,
    AsyncTextStream,
    ChatPrompt,
    EngineUnavailable,
    GenerationResult,
    Prompt,
    RequestRejected,
    SamplingParams,
    only_embeds,
)
from gemeingut.serve.backends.utf16 import loads

DEFAULT_TIMEOUT_SECONDS = 600.0
READY_TIMEOUT_SECONDS = 2.0  # a readiness probe must answer before the balancer gives up
# How long the server's start (each worker's too) waits for the engine's `/v1/models`: an engine
# that took the connection but hangs must stop the start in seconds, not after a generation's
# timeout (600 s); listing its models is cheap for every engine, also under load.
START_TIMEOUT_SECONDS = 10.0
# The longest answer asked of an engine that states no context (llama-server, Ollama) where the
# client asks for no `max_tokens`: sent to it as `max_tokens`, so that what a quota reserves
# bounds what the engine writes (the gateway knows no context to bound it by).
UNSTATED_ANSWER_TOKENS = 4096
CONNECT_TIMEOUT_SECONDS = 10.0
# An idle engine connection is retired after this long, before the engine closes it (vLLM, like
# uvicorn, after 5 s): sent on one the engine is closing, a request would fail as unreachable.
ENGINE_KEEPALIVE_SECONDS = 2.0
# What a stream's connection can fail with: httpx2's (a refused stream's body is judged as
# httpx2's answers are) and aiohttp's, whose timeouts are also TimeoutError.
STREAM_ERRORS = (httpx2.HTTPError, aiohttp.ClientError, TimeoutError)
COUNT_TIMEOUT_SECONDS = 5.0  # counting what a cut request used must not hold its settling long
CONTINUOUS = "continuous_usage_stats"  # vLLM's `stream_options` field: usage with every chunk
# The longest the server's start waits for an engine to say whether it is Ollama and what its
# model can do (`/api/version` and `/api/show` together, `_ollama_capabilities`).
PROBE_TIMEOUT_SECONDS = 2.0
# An engine's error code that the gateway passes on: an identifier short enough to be recorded
# as a decision (`gate.both` adds it to a redaction within the column).
_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")
# What `/v1/models`' `capabilities` names (Ollama's words, and `chat`: a model that answers
# /v1/chat/completions, `model_capabilities.py`); an engine's other words ("tools", "vision")
# are no route of this server's.
Capability = Literal["completion", "chat", "embedding"]
CAPABILITIES: tuple[Capability, ...] = ("completion", "chat", "embedding")
# The gateway's own decisions and codes, which an engine's code must not pass for: a refusal
# of the gateway's queue or database (`gate.REFUSED_UNWORKED`) gives the request's per-minute
# slot back, `allowed` and `unfinished` are no refusals, and `rate_limit_exceeded` says that
# this server's quotas refused (`gate.quota_refused`), as `quota_exceeded` did before (an
# older gemeingut as engine still says it). (The backends know nothing of the gateway, so the
# names are here; `test_upstream_code_not_ours` checks that they cover `REFUSED_UNWORKED`.)
GATEWAY_DECISIONS = frozenset(
    {
        "queue_full",
        "database_unavailable",
        "allowed",
        "unfinished",
        "rate_limit_exceeded",
        "quota_exceeded",
    }
)


class UpstreamBackend:
    def __init__(
        self,
        base_url: str,
        model_name: str | None = None,
        upstream_model: str | None = None,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_connections: int = 64,
    ) -> None:
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        url = base_url.rstrip("/").removesuffix("/v1")
        # What may be shown of the engine (the startup line, the record of processing): its
        # URL with credentials only goes to the HTTP client.
        self.base_url = shown_address(url)
        self.failures = EngineFailures(self.base_url)
        self._client_options: dict[str, Any] = {
            "base_url": url,
            "headers": headers,
            "timeout": httpx2.Timeout(timeout, connect=CONNECT_TIMEOUT_SECONDS),
            "limits": httpx2.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=ENGINE_KEEPALIVE_SECONDS,
            ),
        }
        self.timeout = timeout
        self._start_timeout = min(timeout, START_TIMEOUT_SECONDS)
        self.client = httpx2.Client(**self._client_options)
        # The worker threads' pool outlives any one server (a backend may serve several in
        # turn); a backend dropped without `close` closes it as it goes.
        weakref.finalize(self, self.client.close)
        self.streams = EngineStreams(
            url,
            headers,
            timeout,
            connect=CONNECT_TIMEOUT_SECONDS,
            max_connections=max_connections,
            keepalive=ENGINE_KEEPALIVE_SECONDS,
        )
        self._async_clients: WeakKeyDictionary[asyncio.AbstractEventLoop, httpx2.AsyncClient] = (
            WeakKeyDictionary()
        )
        # Per loop, what closes its client when the loop ends (`loop_end.py`).
        self._closing: WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncGenerator[None, None]] = (
            WeakKeyDictionary()
        )
        self.max_batch_rows = max_connections  # the engine batches; the gateway lets this many in
        card = self._model_card(upstream_model)
        self.upstream_model: str = card["id"]
        self.model_name = model_name or self.upstream_model
        self.context_length: int | None = card.get("max_model_len")
        self._has_tokenize = True
        self._continuous_usage = True  # until the engine refuses it (`_stream_post`)
        self.capabilities_said = self._capabilities(card)
        self.prompts = _prompts_said(card)

    # --- what the routes call --------------------------------------------------------------

    def apply_chat_template(
        self, messages: list[dict[str, str]], add_generation_prompt: bool = True
    ) -> Prompt:
        return ChatPrompt(tuple((m["role"], m["content"]) for m in messages))

    def max_tokens_needed(self, prompts: list[Prompt], params: SamplingParams, n: int = 1) -> int:
        said = self.capabilities_said
        if params.max_tokens != 0 and said is not None and "completion" not in said:
            only_embeds(self.model_name)  # the engine said so: refused here, not relayed
        total = 0
        for prompt in prompts:
            count = self._count(prompt)
            context = self.context_length
            if context is None:  # nothing to check the prompt against: the engine judges it
                read = _bytes_bound(prompt) if count is None else count
                answer = UNSTATED_ANSWER_TOKENS if params.max_tokens is None else params.max_tokens
                total += read + n * answer
                continue
            if count is None:
                total += n * context  # unknown: the most it can be (the prompt, once a choice)
                continue
            if count > context:
                raise RequestRejected(
                    _(
                        "this model's maximum context length is {context} tokens, but the "
                        "prompt has {count}; shorten it",
                        context=context,
                        count=count,
                    ),
                    code="context_length_exceeded",
                )
            answer = context - count if params.max_tokens is None else params.max_tokens
            total += count + n * min(answer, context - count)
        return total

    def generate(self, prompt: Prompt, params: SamplingParams) -> GenerationResult:
        return self.generate_batch([prompt], params)[0]

    def generate_batch(
        self,
        prompts: list[Prompt],
        params: SamplingParams,
        n: int = 1,
        cancel: threading.Event | None = None,
    ) -> list[GenerationResult]:
        results: list[GenerationResult] = []
        for prompt in prompts:
            if cancel is not None and cancel.is_set():
                break
            body = self._body(prompt, params) | {"n": n}
            data = self._post(self._route(prompt), body)
            results.extend(self._results(prompt, params, data))
        return results

    async def agenerate_batch(
        self, prompts: list[Prompt], params: SamplingParams, n: int = 1
    ) -> list[GenerationResult]:
        """`generate_batch` in the event loop: cancelled (the client hung up), the call closes
        its connection, and the engine stops generating."""
        client = await self._async_client()
        results: list[GenerationResult] = []
        for prompt in prompts:
            body = self._body(prompt, params) | {"n": n}
            try:
                response = await client.post(self._route(prompt), json=body, headers=_language())
            except httpx2.HTTPError as error:
                raise self._unreachable(error) from None
            data = self._json(self._checked(response))
            answered = self._results(prompt, params, data)
            if not told(data.get("usage")):
                answered = await self._counted(prompt, answered)
            results.extend(answered)
        return results

    async def prompt_tokens(self, prompts: list[Prompt]) -> int | None:
        """The prompts' tokens by the engine's `/tokenize`, for a request cut short."""
        counts = [await self._acount(self._count_body(p)) for p in prompts]
        return None if None in counts else sum(c for c in counts if c is not None)

    def relay(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            if body is None:
                response = self.client.get(path, headers=_language())
            else:
                response = self.client.post(
                    path, json=body | {"model": self.upstream_model}, headers=_language()
                )
        except httpx2.HTTPError as error:
            raise self._unreachable(error) from None
        if response.status_code == 404:
            self.failures.answered()
            raise RequestRejected(
                _("the engine behind this gateway has no {path}", path=path), code="not_found"
            )
        return self._json(self._checked(response))

    async def astream(self, prompt: Prompt, params: SamplingParams) -> AsyncTextStream:
        body = self._body(prompt, params) | {"stream": True}
        path = self._route(prompt)
        try:
            response = await self._stream_post(path, body)
        except STREAM_ERRORS as error:
            raise self._unreachable(error) from None
        self.failures.answered()
        reader = EventReader(isinstance(prompt, ChatPrompt))
        events = self._apieces(response, reader, prompt)
        return AsyncTextStream(
            events,
            close=partial(closed, response),
            relayed=lambda: self._relayed(prompt, reader),
            so_far=reader.so_far,
        )

    async def _stream_post(self, path: str, body: dict[str, Any]) -> ClientResponse:
        """The engine's stream, asked with `stream_options.continuous_usage_stats`: vLLM then
        tells its usage with every chunk, so that a stream cut short is charged its own count
        exactly (and a client that asks for usage with every chunk gets it passed on,
        `EventReader.so_far`); llama-server and Ollama ignore the field. An engine that validates
        `stream_options` strictly refuses it, naming it (pydantic's "extra inputs are not
        permitted"): the stream is asked once more without it, and this engine never again."""
        url = self.streams.base + path
        if self._continuous_usage:
            usage = {"include_usage": True, CONTINUOUS: True}
            response = await self.streams.post(path, body | {"stream_options": usage}, _language())
            if response.status < 400:
                return response
            refused = await buffered(response, url)
            if refused.status_code not in (400, 422) or CONTINUOUS not in refused.text:
                self._raise_for(refused)
            self._continuous_usage = False
        usage = {"include_usage": True}
        response = await self.streams.post(path, body | {"stream_options": usage}, _language())
        if response.status >= 400:
            self._raise_for(await buffered(response, url))
        return response

    async def _relayed(self, prompt: Prompt, reader: EventReader) -> GenerationResult | None:
        """What a stream relayed (cut short, or ended without usage): by the engine's usage
        where it came (vLLM sends it with every chunk, `continuous_usage_stats`: exact at any
        cut), otherwise counted by the engine's tokenizer (`_text_tokens`), and where its
        `/tokenize` failed or was too slow, estimated from the bytes (`_estimated`)."""
        if told(reader.usage):
            return reader.result()
        text = "".join(reader.text)
        prompt_tokens = await self._acount(self._count_body(prompt))
        counted = await self._text_tokens(text) if prompt_tokens is not None else None
        if prompt_tokens is None or counted is None:
            if not self._has_tokenize:
                return None  # settled to the reservation, as for any stream whose use is unknown
            return _estimated(prompt, text, len(reader.text), reader.finish)
        return GenerationResult(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=max(counted, len(reader.text)),
            finish_reason=reader.finish,  # type: ignore[arg-type]
        )

    async def _text_tokens(self, text: str) -> int | None:
        """The engine's count of relayed text, each U+FFFD as one token: an engine writes it
        for generated bytes that make no character (a greedy weak model does so often), at
        least one token's worth, which its tokenizer would count as its own three bytes (the
        count was one more than the engine's own in 2 of 5 cut streams). Otherwise the count
        of the text, not of the tokens generated: a tokenizer may split or merge them
        otherwise, so it is an estimate either way (`docs/operating.md`)."""
        if not text:
            return 0
        unknown = text.count("\ufffd")
        rest = text.replace("\ufffd", "")
        counted = await self._acount({"prompt": rest, "add_special_tokens": False}) if rest else 0
        return None if counted is None else counted + unknown

    async def _counted(
        self, prompt: Prompt, results: list[GenerationResult]
    ) -> list[GenerationResult]:
        """An answer without usage, counted by the engine's tokenizer: the prompt once, each
        choice's text; where its `/tokenize` failed or was too slow, estimated from the bytes;
        where it has none, the tokens are unknown (the reservation counts)."""
        prompt_tokens = await self._acount(self._count_body(prompt))
        texts = (
            [await self._text_tokens(r.text) for r in results]
            if prompt_tokens is not None
            else [None]
        )
        if prompt_tokens is None or None in texts:
            if not self._has_tokenize:
                return [replace(r, usage_known=False) for r in results]
            return [_estimated(prompt, r.text, int(bool(r.text)), r.finish_reason) for r in results]
        return [
            replace(r, prompt_tokens=prompt_tokens, completion_tokens=count or 0)
            for r, count in zip(results, texts, strict=True)
        ]

    def embed(self, prompts: list[Prompt]) -> list[tuple[list[float], int]]:
        data = self._post("/v1/embeddings", {"model": self.upstream_model, "input": prompts})
        usage = (data.get("usage") or {}).get("prompt_tokens", 0)
        rows = sorted(data.get("data", []), key=lambda d: d["index"])
        # The engine counts tokens per request only: the first row carries them all.
        return [(row["embedding"], usage if i == 0 else 0) for i, row in enumerate(rows)]

    async def engine_problem(self) -> Message | None:
        """Why the engine would not answer now, or None: what `/ready` asks, so that a load
        balancer stops sending requests to a gateway whose engine is gone."""
        try:
            client = await self._async_client()
            response = await client.get("/v1/models", timeout=READY_TIMEOUT_SECONDS)
        except httpx2.HTTPError as error:
            return self._unreachable(error, READY_TIMEOUT_SECONDS).args[0]
        if response.status_code != 200:
            problem = _(
                "the upstream engine answers /v1/models with {status}",
                status=str(response.status_code),
            )
            self.failures.failed(f"ready:{response.status_code}", problem)
            return problem
        self.failures.answered()
        return None

    # --- the HTTP side ----------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connections to the engine, at the server's shutdown: this loop's pools and
        the one of the worker threads. (A loop that ends without it closes its pools itself,
        `loop_end.py`.)"""
        loop = asyncio.get_running_loop()
        if self._async_clients.pop(loop, None) is not None:
            await self._closing.pop(loop).aclose()  # closes the client
        await self.streams.aclose()
        self.close()

    def close(self) -> None:
        """Close the worker threads' pool (all a backend made only to check the engine has)."""
        self.client.close()

    async def _async_client(self) -> httpx2.AsyncClient:
        """The pooled client of the running event loop (its connections belong to that loop;
        a server has one loop, a test may start several), closed when that loop ends."""
        loop = asyncio.get_running_loop()
        if loop not in self._async_clients:
            self._async_clients[loop] = httpx2.AsyncClient(**self._client_options)
            self._closing[loop] = await closed_with_loop(self._async_clients[loop].aclose)
        return self._async_clients[loop]

    def _model_card(self, wanted: str | None) -> dict[str, Any]:
        try:
            response = self.client.get("/v1/models", timeout=self._start_timeout)
        except httpx2.HTTPError as error:  # said at start, to the operator: with the address
            reason = _failure(error, self._start_timeout)
            raise EngineUnavailable(
                _(
                    "the upstream engine at {url} cannot be reached ({reason})",
                    url=self.base_url,
                    reason=reason,
                )
            ) from None
        if response.status_code != 200:
            raise EngineUnavailable(
                _(
                    "the upstream engine at {url} answers /v1/models with {status}; check "
                    "--upstream and --upstream-key-env",
                    url=self.base_url,
                    status=str(response.status_code),
                )
            )
        models = self._json(response).get("data") or []
        for card in models:
            if wanted is None or card.get("id") == wanted:
                return card
        names = ", ".join(str(c.get("id")) for c in models) or "none"
        raise EngineUnavailable(
            _(
                "the upstream engine serves no model {wanted!r} (it has {names})",
                wanted=wanted,
                names=names,
            )
        )

    def _capabilities(self, card: dict[str, Any]) -> list[Capability] | None:
        """What the engine says its model can be asked, in `/v1/models`' words: its card's
        `capabilities` (gemeingut's), else Ollama's `/api/show`; None where it says nothing
        we can take (vLLM; llama-server: the server then lists both)."""
        said = card.get("capabilities")
        if not isinstance(said, list):
            said = self._ollama_capabilities()
            if isinstance(said, list) and "completion" in said:
                said = [*said, "chat"]  # Ollama chats with every model that writes
        if not isinstance(said, list):
            return None
        return [word for word in CAPABILITIES if word in said]

    def _ollama_capabilities(self) -> object:
        """Ollama's `capabilities` of the model (`POST /api/show`); None from another engine
        or where it cannot be read (the model is listed with both). Taken only where
        `/api/version` says Ollama: llama-server answers `/api/show` too, always with
        `completion`, also where it serves an embedding model. Both asked at the server's start
        within `PROBE_TIMEOUT_SECONDS` in all: an engine that hangs there delays the start by
        no more, and the log says that its model is listed with both."""
        deadline = time.monotonic() + PROBE_TIMEOUT_SECONDS
        try:
            version = self.client.get("/api/version", timeout=PROBE_TIMEOUT_SECONDS)
            if not _ollama_version(version):
                return None
            left = max(deadline - time.monotonic(), 0.001)
            response = self.client.post(
                "/api/show", json={"model": self.upstream_model}, timeout=left
            )
            data = response.json() if response.status_code == 200 else None
        except httpx2.TimeoutException:
            said = _("no answer on /api/version and /api/show within {seconds} s: the model "
                     "is listed as able to do both, chats and embeddings",
                     seconds=f"{PROBE_TIMEOUT_SECONDS:g}")  # fmt: skip
            log.warning("%s: %s", self.base_url, text(said))
            return None
        except (httpx2.HTTPError, ValueError):
            return None
        return data.get("capabilities") if isinstance(data, dict) else None

    def _count(self, prompt: Prompt) -> int | None:
        if isinstance(prompt, list):
            return len(prompt)
        if not self._has_tokenize:
            return None
        body = self._count_body(prompt) | {"model": self.upstream_model}
        try:
            response = self.client.post("/tokenize", json=body, headers=_language())
        except httpx2.HTTPError as error:
            raise self._unreachable(error) from None
        if response.status_code == 404:
            self._has_tokenize = False  # llama-server's /tokenize differs, Ollama has none
            return None
        data = self._json(self._checked(response))
        try:
            if self.context_length is None and data.get("max_model_len"):
                self.context_length = int(data["max_model_len"])
            return int(data["count"])
        except (KeyError, TypeError, ValueError):
            raise self._failed(
                "tokenize", _("the upstream engine's /tokenize answer has no token count")
            ) from None

    @staticmethod
    def _count_body(prompt: Prompt) -> dict[str, Any]:
        """What `/tokenize` takes to count `prompt` (token ids count themselves)."""
        if isinstance(prompt, ChatPrompt):
            return {"messages": [{"role": r, "content": c} for r, c in prompt.messages]}
        if isinstance(prompt, list):
            return {"tokens": prompt}
        return {"prompt": prompt}

    async def _acount(self, body: dict[str, Any]) -> int | None:
        """The engine's token count of a `/tokenize` body, or None where it does not tell."""
        if "tokens" in body:
            return len(body["tokens"])
        if not self._has_tokenize:
            return None
        try:
            client = await self._async_client()
            response = await client.post(
                "/tokenize",
                json=body | {"model": self.upstream_model},
                headers=_language(),
                timeout=COUNT_TIMEOUT_SECONDS,
            )
            if response.status_code == 404:
                self._has_tokenize = False  # as `_count` learns it
            return int(response.json()["count"]) if response.status_code == 200 else None
        except (httpx2.HTTPError, ValueError, KeyError, TypeError):
            return None

    def _unreachable(self, error: Exception, seconds: float | None = None) -> EngineUnavailable:
        """Why the engine cannot be reached, in words of our own (the library's are English
        and name its internals), without its address (the log has it)."""
        reason = _failure(error, seconds or self.timeout)
        problem = _("the upstream engine cannot be reached ({reason})", reason=reason)
        return self._failed(f"unreachable:{reason.msgid}", problem)

    def _failed(self, kind: str, problem: Message) -> EngineUnavailable:
        """The engine's failure for the client, said on the server's log once per `kind`."""
        self.failures.failed(kind, problem)
        return EngineUnavailable(problem)

    def _misshapen(self, field: str) -> EngineUnavailable:
        """The engine answered with JSON that is not OpenAI's answer (`field` is not)."""
        said = _("the upstream engine's answer is not in OpenAI's shape ({field})", field=field)
        return self._failed(f"shape:{field}", said)

    def _checked(self, response: httpx2.Response) -> httpx2.Response:
        """`response` where the engine answered it well; its refusal or failure raised."""
        if response.status_code >= 400:
            self._raise_for(response)
        self.failures.answered()
        return response

    def _json(self, response: httpx2.Response) -> dict[str, Any]:
        """The engine's answer as a JSON object; anything else is the engine failing (502)."""
        try:
            data = loads(response.content)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            path = response.request.url.path
            raise self._failed(
                f"json:{path}",
                _(
                    "the upstream engine answered {path} with something that is not a JSON object",
                    path=path,
                ),
            )
        return data

    def _route(self, prompt: Prompt) -> str:
        return "/v1/chat/completions" if isinstance(prompt, ChatPrompt) else "/v1/completions"

    def _body(self, prompt: Prompt, params: SamplingParams) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.upstream_model,
            "temperature": params.temperature,
            "top_p": params.top_p,
        }
        if isinstance(prompt, ChatPrompt):
            body["messages"] = [{"role": r, "content": c} for r, c in prompt.messages]
        else:
            body["prompt"] = prompt
        if params.max_tokens is not None:
            body["max_tokens"] = params.max_tokens
        elif self.context_length is None:
            body["max_tokens"] = UNSTATED_ANSWER_TOKENS  # as `max_tokens_needed` reserves
        if params.stop:
            body["stop"] = list(params.stop)
        if params.seed is not None:
            body["seed"] = params.seed
        if params.logprobs is not None:
            if isinstance(prompt, ChatPrompt):
                body |= {"logprobs": True, "top_logprobs": params.logprobs}
            else:
                body["logprobs"] = params.logprobs
        if params.echo:  # with the prompt's offsets, which tell where the answer starts
            body |= {"echo": True, "logprobs": body.get("logprobs", 0)}
        return body

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.client.post(path, json=body, headers=_language())
        except httpx2.HTTPError as error:
            raise self._unreachable(error) from None
        return self._json(self._checked(response))

    def _raise_for(self, response: httpx2.Response) -> None:
        """The engine's refusal (a 4xx: `RequestRejected`) or failure (a 5xx, a 429:
        `EngineUnavailable`). Its message is passed on where it is OpenAI's JSON error; a page
        of its server or of a proxy before it (HTML, plain text) may name hosts of the
        provider's network: the client hears the status in our words, the log has the page."""
        status = str(response.status_code)
        if response.status_code in (401, 403):
            # The client showed its key to us, not to the engine: a refusal of the server's
            # own credentials is the operator's to fix, never the client's mistake.
            raise self._failed(
                f"status:{status}",
                _(
                    "the upstream engine refused this server's access ({status}): the "
                    "server's operator must check its key for the engine (--upstream-key-env)",
                    status=status,
                ),
            )
        failing = response.status_code >= 500 or response.status_code == 429
        try:
            data = loads(response.content)
        except ValueError:
            page = _(
                "the upstream engine answered {status}: {message}",
                status=status,
                message=response.text[:300] or response.reason_phrase,
            )
            self.failures.failed(f"status:{status}", page)
            if failing:
                raise EngineUnavailable(
                    _("the upstream engine answered {status}", status=status)
                ) from None
            raise RequestRejected(
                _(
                    "the upstream engine answered {status}, and not with JSON (perhaps a proxy "
                    "before it answered); the server's log shows the answer",
                    status=status,
                )
            ) from None
        engine_said = error_message(data)
        if engine_said is None:
            said = _("the upstream engine answered {status} without saying why", status=status)
            if failing:
                raise self._failed(f"status:{status}", said)
            self.failures.answered()
            raise RequestRejected(said)
        if failing:
            raise self._failed(
                f"status:{status}",
                _(
                    "the upstream engine answered {status}: {message}",
                    status=status,
                    message=engine_said,
                ),
            )
        self.failures.answered()  # a refusal of this request: the engine itself is there
        said = _("the engine refused the request: {message}", message=engine_said)
        raise RequestRejected(said, code=_error_code(data))

    def _results(
        self, prompt: Prompt, params: SamplingParams, data: dict[str, Any]
    ) -> list[GenerationResult]:
        chat = isinstance(prompt, ChatPrompt)
        usage = data.get("usage") or {}
        choices = data.get("choices")
        if not usage_shaped(usage):
            raise self._misshapen("usage")
        if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
            raise self._misshapen("choices")
        choices = sorted(choices, key=lambda c: c["index"] if type(c.get("index")) is int else 0)
        results = []
        for i, choice in enumerate(choices):
            message = choice.get("message") or {}
            if not isinstance(message, dict):
                raise self._misshapen("choices")
            text = message.get("content") if chat else choice.get("text")
            if not isinstance(text, str | None):
                raise self._misshapen("choices")
            wanted = params.logprobs is not None
            logprobs = _relayed_logprobs(choice, chat, required=wanted)
            echoed, text = "", text or ""
            if params.echo:
                count = usage.get("prompt_tokens", 0)
                prompt_tokens = len(prompt) if isinstance(prompt, list) else int(count)
                echoed, text = _split_echo(prompt, text, logprobs, prompt_tokens)
            results.append(
                GenerationResult(
                    text=text,
                    prompt_tokens=int(usage.get("prompt_tokens", 0)),
                    # The engine counts completion tokens per request, not per choice: the
                    # first choice carries them all, so sums (usage, quotas) stay exact.
                    completion_tokens=int(usage.get("completion_tokens", 0)) if i == 0 else 0,
                    finish_reason="stop" if choice.get("finish_reason") == "stop" else "length",
                    relayed_logprobs=logprobs if wanted else None,
                    echoed=echoed,
                )
            )
        return results

    async def _apieces(
        self, response: ClientResponse, events: EventReader, prompt: Prompt
    ) -> AsyncGenerator[str | GenerationResult, None]:
        rest = b""  # the start of a line whose end has not come yet
        try:
            async for chunk in response.content.iter_any():
                lines, rest = event_lines(rest + chunk)
                for line in lines:
                    for piece in events.pieces(line):
                        yield piece
            for piece in [*events.pieces(rest), *events.ended()]:
                yield piece
        except STREAM_ERRORS as error:
            reason = _failure(error, self.timeout)
            raise self._failed(
                f"stream:{reason.msgid}",
                _("the upstream stream broke off ({reason})", reason=reason),
            ) from None
        except EngineUnavailable as failed:  # its error event, or what is no answer (EventReader)
            self.failures.failed("stream:error", failed.args[0])
            raise
        # The stream closes the response (AsyncTextStream.aclose). An engine that sent no
        # usage: counted as a stream cut short is, or unknown (the reservation counts).
        counted = await self._relayed(prompt, events)
        yield counted or replace(events.result(), usage_known=False)


def _error_code(data: dict[str, Any]) -> str | None:
    """The code of an engine's JSON error (`error.code`, an older vLLM's `code`) where it is a
    short identifier, as OpenAI's and gemeingut's are (`context_length_exceeded`): the client
    and the audit record's decision keep it. vLLM's and llama-server's codes are the status
    as a number, which says no more than the status; anything else is no decision to record,
    nor is one of the gateway's own (`GATEWAY_DECISIONS`): an engine's `queue_full` would
    give the request's per-minute slot back."""
    error = data.get("error")
    code = error.get("code") if isinstance(error, dict) else data.get("code")
    if not isinstance(code, str) or not _CODE.fullmatch(code) or code in GATEWAY_DECISIONS:
        return None
    return code


def _estimated(prompt: Prompt, text: str, pieces: int, finish: str) -> GenerationResult:
    """What an engine whose `/tokenize` failed or timed out is charged: the UTF-8 bytes of the
    prompt (as its `/tokenize` body: roles and contents of a chat) and of the relayed text, at
    least one token a piece. A byte-level tokenizer's token holds at least one byte, so this
    bounds the text's tokens from above (a chat template's own tokens aside); the quota never
    charges more than was reserved, and the record says it is an estimate."""
    return GenerationResult(
        text=text,
        prompt_tokens=_bytes_bound(prompt),
        completion_tokens=max(len(text.encode()), pieces),
        finish_reason=finish,  # type: ignore[arg-type]
        usage_estimated=True,
    )


def _bytes_bound(prompt: Prompt) -> int:
    """`prompt`'s tokens bounded from above without a tokenizer: the UTF-8 bytes of its
    `/tokenize` body (roles and contents of a chat), as a byte-level tokenizer's token holds at
    least one byte (a chat template's own tokens aside); token ids count themselves."""
    if isinstance(prompt, list):
        return len(prompt)
    said = UpstreamBackend._count_body(prompt)
    return len(json.dumps(said, ensure_ascii=False).encode())


def _language() -> dict[str, str]:
    """The client's `Accept-Language` for the engine, where the client sent one."""
    language = CLIENT_LANGUAGE.get()
    return {"accept-language": language} if language else {}


def _failure(error: Exception, seconds: float) -> Message:
    """What went wrong on the connection, said for a person; `seconds`: the call's timeout."""
    causes = []
    cause: BaseException | None = error
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    if isinstance(error, aiohttp.ClientConnectorError):
        causes.append(error.os_error)  # aiohttp keeps the socket's error there
    if isinstance(error, httpx2.ConnectTimeout | aiohttp.ConnectionTimeoutError):
        return _("no connection within {seconds} s", seconds=f"{CONNECT_TIMEOUT_SECONDS:g}")
    if isinstance(error, httpx2.TimeoutException | TimeoutError):
        return _("no answer within {seconds} s", seconds=f"{seconds:g}")
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or "refused" in str(error):
        return _("connection refused")
    if any(isinstance(c, socket.gaierror) for c in causes):
        return _("host name not found")
    if isinstance(error, httpx2.ConnectError | aiohttp.ClientConnectorError):
        return _("no connection")
    return _("the connection broke off")


def _relayed_logprobs(choice: dict[str, Any], chat: bool, required: bool) -> BaseModel | None:
    """The engine's log-probabilities of one choice, in the shape the route answers with. Where
    the client asked for them, an engine that ignored the request (Ollama: a 400) or answers in
    another shape (a 502) is said, not passed on; where only `echo` did, they are a help that
    may be missing."""
    from gemeingut.serve.logprobs import named_by_bytes
    from gemeingut.serve.schemas import ChatLogprobs, CompletionLogprobs

    shape: type[BaseModel] = ChatLogprobs if chat else CompletionLogprobs
    if choice.get("logprobs") is None:
        if not required:
            return None
        raise RequestRejected(  # the engine cannot: asking again would not help
            _("logprobs: the engine behind this gateway returns no log-probabilities"),
            param="logprobs",
            code="unsupported_parameter",
        )
    try:
        relayed = shape.model_validate(choice["logprobs"])
    except ValidationError as error:
        if not required:
            return None
        raise EngineUnavailable(
            _(
                "the upstream engine's log-probabilities are not in OpenAI's shape: {problem}",
                problem=str(error.errors()[0]["msg"]),
            )
        ) from None
    # A part of a character is named by its bytes where the engine sent them, as ours are.
    return named_by_bytes(relayed) if isinstance(relayed, ChatLogprobs) else relayed


def _split_echo(prompt: Prompt, text: str, logprobs: Any, prompt_tokens: int) -> tuple[str, str]:
    """The engine's echoed prompt and its answer. A text prompt echoed as written ends where
    it ends (vLLM does so); otherwise the first answer token's offset tells, where it fits the
    text (vLLM's offsets count a BOS token's text that its echo leaves out); where neither
    tells, all is counted as answer."""
    if isinstance(prompt, str) and text.startswith(prompt):
        return prompt, text[len(prompt) :]
    offsets = getattr(logprobs, "text_offset", None) or []
    cut = 0
    if offsets and offsets[0] == 0 and len(offsets) >= prompt_tokens:
        cut = offsets[prompt_tokens] if len(offsets) > prompt_tokens else len(text)
    cut = cut if 0 <= cut <= len(text) else 0
    return text[:cut], text[cut:]


def _prompts_said(card: dict[str, Any]) -> dict[str, str] | None:
    """The embedding prompts the engine's card names (gemeingut's `prompts`: `query`,
    `document`), relayed to clients; None where it names none (vLLM, Ollama: not known)."""
    said = card.get("prompts")
    if not isinstance(said, dict) or not all(isinstance(v, str) for v in said.values()):
        return None
    return {side: said[side] for side in ("query", "document") if side in said}


def _ollama_version(response: httpx2.Response) -> bool:
    """Whether an answer of `GET /api/version` is Ollama's (`{"version": "0.12.3"}`)."""
    data = response.json() if response.status_code == 200 else None
    return isinstance(data, dict) and isinstance(data.get("version"), str)
