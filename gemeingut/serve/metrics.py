"""Prometheus metrics at `GET /metrics`: requests, tokens, latency, time to first token, queue
and quota refusals per model, for the operator's dashboards and alerts.

Each app has its own registry (no global state: tests and several apps in one process do not
mix their numbers). Labels hold the model, the route, the status, the token kind and the
quota's limit; never a user or key. A label never takes a value a client made up, so that a
scanner cannot blow up their count: the route is one of the app's own paths (or "other"), the
model one the server serves (the one a request resolved to), "unknown" (a model the server does
not serve) or "" where the request was answered before it named a model (a missing key, a body
too large, a foreign Host, a route that takes no model): such a refusal is not put on a model
the client may never have asked for. In PromQL, `model=""` selects them and `model!=""` the
others.

A server of several worker processes (`serve --workers N`) sets `PROMETHEUS_MULTIPROC_DIR`
before it starts them: each worker then writes its numbers to files there, and a scrape,
whichever worker answers it, sums those of all workers.
"""

from __future__ import annotations

import os
import time
from contextvars import ContextVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gemeingut.serve.gateway.gate import TRAIL

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # read by prometheus_client when it is imported
UNKNOWN_MODEL = "unknown"  # the label of a request for a model the server does not serve
NO_MODEL = ""  # the label of a request answered before it named a model
CLIENT_LEFT = 499  # an answer its client left before it ended, as the audit and nginx say
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
FIRST_TOKEN_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    def __init__(self, model: str) -> None:
        self.model = model
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gemeingut_requests",
            'HTTP requests answered, by model, route and status; model="" where the answer came '
            "before the request named a model (a missing key, a body too large, a route that "
            'takes none), model="unknown" where it named one the server does not serve.',
            ["model", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "gemeingut_request_seconds",
            "Time from request to the end of the response (of the whole stream); the model "
            "label as for gemeingut_requests.",
            ["model", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.first_token = Histogram(
            "gemeingut_time_to_first_token_seconds",
            "Time from a streamed completion's request (chat or text) to its first chunk "
            "of text sent, by model.",
            ["model"],
            buckets=FIRST_TOKEN_BUCKETS,
            registry=self.registry,
        )
        self.tokens = Counter(
            "gemeingut_tokens",
            "Tokens processed, by kind (prompt or completion).",
            ["model", "kind"],
            registry=self.registry,
        )
        self.quota_rejections = Counter(
            "gemeingut_quota_rejections",
            "Requests refused with 429, by the limit that was reached.",
            ["model", "limit"],
            registry=self.registry,
        )
        self.queue_waiting = Gauge(
            "gemeingut_queue_waiting",
            "Requests waiting for the model now.",
            ["model"],
            registry=self.registry,
            multiprocess_mode="livesum",  # the workers' queues together, of live workers only
        )

    def count_tokens(self, prompt: int, completion: int, model: str | None = None) -> None:
        """Tokens of one answer, under the model that made them (default: the server's first)."""
        self.tokens.labels(model or self.model, "prompt").inc(prompt)
        self.tokens.labels(model or self.model, "completion").inc(completion)

    def exposition(self) -> bytes:
        if os.environ.get(MULTIPROCESS_DIR):
            workers = CollectorRegistry()
            MultiProcessCollector(workers)
            return generate_latest(workers)
        return generate_latest(self.registry)


# The metrics and arrival time of the HTTP request being served (`first_token` reads them).
_ARRIVAL: ContextVar[tuple[Metrics, float] | None] = ContextVar("metrics_arrival", default=None)


def first_token(model: str) -> None:
    """Time the first chunk of text of the stream being served, from its request's arrival,
    under `model` (the one answering: always one the server serves)."""
    arrival = _ARRIVAL.get()
    if arrival is not None:
        metrics, started = arrival
        metrics.first_token.labels(model).observe(time.perf_counter() - started)


class MetricsMiddleware:
    """Counts every HTTP response by model, route and status and times it. Outermost, so that
    its clock starts when the request arrives."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: frozenset[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes
        # (model, route, status) → its counter and histogram: bounded, as the labels are;
        # prometheus_client's own lookup (`labels`) costs a lock and checks per call.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def _route(self, scope: Scope) -> str:
        """The route's own path template (routing leaves the matched route in the scope), so
        that `/v1/collections/akten/answer` counts as `/v1/collections/{name}/answer`; written
        without converters (`/v1/models/{model_id}`, not `{model_id:path}`)."""
        matched = scope.get("route")
        if getattr(matched, "path", None) in self.routes:
            return matched.path_format
        path = scope.get("path", "")
        return path if path in self.routes else "other"

    def _model(self, scope: Scope) -> str:
        """The model of the request being answered: the one its audit trail noted (the name
        it resolved to, or the one it asked for where the server serves none of that name;
        the trail is the request's while the app sends its answer); none before it named one."""
        trail = TRAIL.get()
        if trail is None or trail.model is None:
            return NO_MODEL
        return trail.model if trail.model in scope["app"].state.models else UNKNOWN_MODEL

    def _count(self, model: str, route: str, status: int, seconds: float) -> None:
        children = self._children.get((model, route, status))
        if children is None:
            children = self._children[(model, route, status)] = (
                self.metrics.requests.labels(model, route, str(status)),
                self.metrics.latency.labels(model, route),
            )
        requests, latency = children
        requests.inc()
        latency.observe(seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        arrival = _ARRIVAL.set((self.metrics, started))
        status = 500  # if the app fails before it answers
        model = NO_MODEL
        ended = False  # whether the answer's last part was sent

        async def counting_send(message: Message) -> None:
            nonlocal status, model, ended
            if message["type"] == "http.response.start":
                status = message["status"]
                model = self._model(scope)
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                ended = True
            await send(message)

        left = False
        try:
            await self.app(scope, receive, counting_send)
            # An answer begun that the app left unended: its client left (a stream closed
            # midway). Counted as the audit records it, not as the 200 its headers said.
            left = not ended and status < 400
        finally:
            _ARRIVAL.reset(arrival)
            route = self._route(scope)
            said = CLIENT_LEFT if left else status
            self._count(model, route, said, time.perf_counter() - started)
