"""Prometheus metrics (prometheus-client): the request-latency ASGI middleware and the counters and
gauges other modules update (jobs, fan-out, stream connections). `/metrics` is chaupal/api/metrics.py.
Several uvicorn workers: set PROMETHEUS_MULTIPROC_DIR before start (docs/operations.md)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

# Seconds; finer below 100 ms, where the goals are (home timeline p99 <= 20 ms).
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "<unmatched>"  # 404s and the like: never the raw path (unbounded label values)

REQUEST_SECONDS = Histogram(
    "chaupal_http_request_duration_seconds",
    "Time to answer an HTTP request (until the response body is sent), by route template.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
JOBS_RUN = Counter(
    "chaupal_jobs_run",
    "Job attempts finished by this process, by kind and outcome "
    "(done; retry: failed, will run again; failed: gave up, kept for operators).",
    ["kind", "outcome"],
)
FANOUT_DELIVERIES = Counter(
    "chaupal_fanout_deliveries",
    "Home-feed entries written by fan-out-on-write (one per follower feed reached).",
)
STREAM_CONNECTIONS = Gauge(
    "chaupal_stream_connections",
    "Open streaming connections: web_sse (web live timeline), mastodon (streaming API).",
    ["transport"],
    multiprocess_mode="livesum",  # the sum over live worker processes
)


def job_finished(kind: str, state: str | bool, will_retry: bool) -> None:
    """Count one job attempt (called by the job runner): `state` is the state it committed
    (`done`/`failed`) or false when it raised; then `will_retry` tells `retry` from `failed`."""
    if state:
        outcome = str(state)
    elif will_retry:
        outcome = "retry"
    else:
        outcome = "failed"
    JOBS_RUN.labels(kind, outcome).inc()


def fanout_delivered(count: int) -> None:
    """Count `count` home-feed entries written by fan-out (called by the fan-out worker)."""
    if count > 0:
        FANOUT_DELIVERIES.inc(count)


@contextlib.contextmanager
def stream_connection(transport: str) -> Iterator[None]:
    """`with stream_connection("websocket"):` around the life of one streaming connection."""
    gauge = STREAM_CONNECTIONS.labels(transport)
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def render_process_metrics() -> bytes:
    """The exposition text of every metric above: this process's, or, in multi-process mode,
    the sum over all worker processes (read from PROMETHEUS_MULTIPROC_DIR at each scrape)."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def serve_worker_metrics(port: int, host: str = "127.0.0.1") -> Any:
    """`chaupal worker --metrics-port`: this process's metrics (or, in multi-process mode, all
    of this host's) on a small HTTP server thread. Returns the server (tests shut it down)."""
    from prometheus_client import start_http_server

    registry = REGISTRY
    if multiprocess_dir():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    server, _thread = start_http_server(port, host, registry=registry)
    return server


def route_template(scope: dict[str, Any]) -> str:
    """The matched route's path template (`/api/v1/statuses/{id}`), set by Starlette's router."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class MetricsMiddleware:
    """Pure ASGI middleware: observe each HTTP request's duration under its route template,
    method and status class (2xx ...). Outermost, so 413s and 429s are counted too."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_observed(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            method = scope.get("method", "GET")
            if method not in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
                method = "OTHER"
            REQUEST_SECONDS.labels(method, route_template(scope), f"{status // 100}xx").observe(
                time.perf_counter() - start
            )


__all__ = [
    "CONTENT_TYPE_LATEST",
    "FANOUT_DELIVERIES",
    "JOBS_RUN",
    "REQUEST_SECONDS",
    "STREAM_CONNECTIONS",
    "MetricsMiddleware",
    "fanout_delivered",
    "job_finished",
    "render_process_metrics",
    "serve_worker_metrics",
    "stream_connection",
]
