"""Prometheus metrics at `GET /metrics`: requests, tokens, latency, queue and quota refusals per
model, for the operator's dashboards and alerts.

Each app has its own registry (no global state: tests and several apps in one process do not
mix their numbers). Labels hold the model, the route, the status, the token kind and the
quota's limit; never a user or key. A label never takes a value a client made up, so that a
scanner cannot blow up their count: the route is one of the app's own paths (or "other"), the
model one the server serves (the one a request resolved to; the default model where a request
was answered before it named one, as a missing key or a foreign Host is) or "unknown" (a model
the server does not serve).

A server of several worker processes (`serve --workers N`) sets `PROMETHEUS_MULTIPROC_DIR`
before it starts them: each worker then writes its numbers to files there, and a scrape,
whichever worker answers it, sums those of all workers.
"""

from __future__ import annotations

import os
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gemeingut.serve.gateway.gate import TRAIL

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # read by prometheus_client when it is imported
UNKNOWN_MODEL = "unknown"  # the label of a request for a model the server does not serve
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class Metrics:
    def __init__(self, model: str) -> None:
        self.model = model
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gemeingut_requests",
            "HTTP requests answered, by route and status.",
            ["model", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "gemeingut_request_seconds",
            "Time from request to the end of the response (of the whole stream).",
            ["model", "route"],
            buckets=LATENCY_BUCKETS,
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


class MetricsMiddleware:
    """Counts every HTTP response by model, route and status and times it."""

    def _route(self, path: str) -> str:
        if path in self.routes:
            return path
        if path.startswith("/v1/models/"):
            return "/v1/models/{model_id}"
        return "other"

    def _model(self, scope: Scope) -> str:
        """The model of the request being answered: the one its audit trail noted (the name
        it resolved to, or the one it asked for where the server serves none of that name;
        the trail is the request's while the app sends its answer)."""
        trail = TRAIL.get()
        if trail is None or trail.model is None:
            return self.metrics.model
        return trail.model if trail.model in scope["app"].state.models else UNKNOWN_MODEL

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: frozenset[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app fails before it answers
        model = self.metrics.model

        async def counting_send(message: Message) -> None:
            nonlocal status, model
            if message["type"] == "http.response.start":
                status = message["status"]
                model = self._model(scope)
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            route = self._route(scope.get("path", ""))
            self.metrics.requests.labels(model, route, str(status)).inc()
            self.metrics.latency.labels(model, route).observe(time.perf_counter() - started)
