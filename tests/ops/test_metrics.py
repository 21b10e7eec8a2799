"""GET /metrics: request latency by route template, job queue depth and age, job counters,
stream gauge, fan-out counter, and its access control (metrics_enabled, metrics_token)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from chaupal.api.metrics import queue_stats
from chaupal.db import utcnow
from chaupal.jobs import JobRunner, enqueue, job_handler
from chaupal.metrics import (
    FANOUT_DELIVERIES,
    STREAM_CONNECTIONS,
    fanout_delivered,
    stream_connection,
)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, tuple(sorted(labels.items()))))


@job_handler("metrics_test_ok")
async def _ok(session: Any, settings: Any, payload: dict[str, Any]) -> None:
    return None


@job_handler("metrics_test_boom")
async def _boom(session: Any, settings: Any, payload: dict[str, Any]) -> None:
    raise RuntimeError("boom")


async def test_metrics__request_latency_by_route_template_not_raw_path(client, make_user):
    alice = await make_user("alice")
    for _ in range(2):
        await client.get(f"/api/v1/accounts/{alice.account_id}")
    await client.get("/no/such/page/12345")
    body = (await client.get("/metrics")).text
    count = value(
        body,
        "chaupal_http_request_duration_seconds_count",
        method="GET",
        route="/api/v1/accounts/{account_id}",
        status="2xx",
    )
    assert count is not None and count >= 2
    routes = set(re.findall(r'route="([^"]*)"', body))
    assert not any(str(alice.account_id) in r or "12345" in r for r in routes)
    assert value(
        body,
        "chaupal_http_request_duration_seconds_count",
        method="GET",
        route="<unmatched>",
        status="4xx",
    )


async def test_metrics__queue_depth_and_age_per_kind(app, client, session, settings):
    now = utcnow()
    await enqueue(session, "metrics_test_ok", {}, run_at=now - timedelta(seconds=120))
    await enqueue(session, "metrics_test_ok", {}, run_at=now - timedelta(seconds=10))
    await enqueue(session, "metrics_test_ok", {}, run_at=now + timedelta(hours=1))
    await session.commit()
    stats = await queue_stats(session)
    entry = stats.kinds["metrics_test_ok"]
    assert (entry.due, entry.scheduled, entry.running, entry.failed) == (2, 1, 0, 0)
    assert 110 <= entry.oldest_due_age < 3600
    body = (await client.get("/metrics")).text
    assert value(body, "chaupal_jobs_queued", kind="metrics_test_ok") == 2
    assert value(body, "chaupal_jobs_scheduled", kind="metrics_test_ok") == 1
    age = value(body, "chaupal_jobs_oldest_queued_age_seconds", kind="metrics_test_ok")
    assert age is not None and age >= 110


async def test_metrics__queue_query_is_cached(app, client, session, settings):
    await client.get("/metrics")  # fills the cache (empty queue)
    await enqueue(session, "metrics_test_ok", {}, run_at=utcnow() - timedelta(seconds=5))
    await session.commit()
    settings.metrics_queue_cache_seconds = 3600.0
    assert (
        value((await client.get("/metrics")).text, "chaupal_jobs_queued", kind="metrics_test_ok")
        is None
    )
    settings.metrics_queue_cache_seconds = 0.0
    assert (
        value((await client.get("/metrics")).text, "chaupal_jobs_queued", kind="metrics_test_ok")
        == 1
    )


async def test_metrics__job_counters_done_retry_failed(app, client, session, settings):
    await enqueue(session, "metrics_test_ok", {})
    await enqueue(session, "metrics_test_boom", {}, max_attempts=1)
    await enqueue(session, "metrics_test_boom", {}, max_attempts=5)
    await session.commit()
    before = samples((await client.get("/metrics")).text)
    await JobRunner(app.state.sessions, settings).run_until_idle()
    settings.metrics_queue_cache_seconds = 0.0
    after = samples((await client.get("/metrics")).text)

    def delta(kind: str, outcome: str) -> float:
        key = ("chaupal_jobs_run_total", (("kind", kind), ("outcome", outcome)))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("metrics_test_ok", "done") == 1
    assert delta("metrics_test_boom", "failed") == 1
    assert delta("metrics_test_boom", "retry") == 1
    assert after[("chaupal_jobs_failed", (("kind", "metrics_test_boom"),))] == 1


async def test_metrics__stream_gauge_and_fanout_counter(client):
    gauge = STREAM_CONNECTIONS.labels("websocket")
    start = gauge._value.get()
    fanout_start = FANOUT_DELIVERIES._value.get()
    with stream_connection("websocket"):
        body = (await client.get("/metrics")).text
        assert value(body, "chaupal_stream_connections", transport="websocket") == start + 1
    assert gauge._value.get() == start
    fanout_delivered(5000)
    fanout_delivered(0)
    body = (await client.get("/metrics")).text
    assert value(body, "chaupal_fanout_deliveries_total") == fanout_start + 5000


async def test_metrics__disabled__404(client, settings):
    settings.metrics_enabled = False
    resp = await client.get("/metrics")
    assert resp.status_code == 404 and "error" in resp.json()


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong", "Basic s3cret", "Bearer", "Bearer s3cret\u00e9".encode("latin-1")],
)
async def test_metrics__token_set__wrong_or_missing__401(client, settings, header):
    settings.metrics_token = "s3cret"
    headers = {"Authorization": header} if header else {}
    resp = await client.get("/metrics", headers=headers)
    assert resp.status_code == 401 and "error" in resp.json()


async def test_metrics__token_set__bearer_token__200_prometheus_text(client, settings):
    settings.metrics_token = "s3cret"
    resp = await client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    assert "chaupal_http_request_duration_seconds_bucket" in resp.text


def test_metrics__settings_defaults():
    from chaupal.config import Settings

    s = Settings()
    assert s.metrics_enabled is True and s.metrics_token is None
    assert s.metrics_queue_cache_seconds == 5.0


def test_worker_metrics_server__serves_job_counters():
    import socket
    import urllib.request

    from chaupal.metrics import job_finished, serve_worker_metrics

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = serve_worker_metrics(port)
    try:
        job_finished("metrics_test_worker", "done", False)
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert (
            value(body, "chaupal_jobs_run_total", kind="metrics_test_worker", outcome="done") == 1
        )
    finally:
        server.shutdown()
        server.server_close()


async def test_metrics__mastodon_stream_connection__counted_while_open(app, client, make_user):
    from tests.streaming.util import SSE

    bob = await make_user("bob")
    gauge = STREAM_CONNECTIONS.labels("mastodon")
    start = gauge._value.get()
    async with SSE(app, "/api/v1/streaming/user", bob.headers) as sse:
        sse._buffer += (await sse.chunks.get()).decode()  # the opening comment: connected
        body = (await client.get("/metrics")).text
        assert value(body, "chaupal_stream_connections", transport="mastodon") == start + 1
    for _ in range(100):  # the server side notices the close
        if gauge._value.get() == start:
            break
        await asyncio.sleep(0.02)
    assert gauge._value.get() == start
