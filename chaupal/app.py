"""The ASGI application factory: `create_app(settings)` wires settings, database, Redis,
rate limits, error handling and every router. Nothing connects until start-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from chaupal.config import Settings
from chaupal.db import make_engine, make_sessionmaker
from chaupal.errors import BodyTooLarge, error_body, install_error_handlers
from chaupal.media import media_body_limit
from chaupal.ratelimit import RateLimiter
from chaupal.security import digest

VERSION = "0.1.0"
MASTODON_COMPAT = "4.3.0"


def version_string() -> str:
    """What `/api/v1/instance` reports: a Mastodon version clients accept, then ours."""
    return f"{MASTODON_COMPAT} (compatible; Chaupal {VERSION})"


def _secret_key(settings: Settings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


class LimitsMiddleware:
    """Pure ASGI middleware: body-size limit and the per-token API rate limit."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if "\x00" in scope.get("path", "") or _has_nul(scope.get("query_string", b"")):
            # No database stores NUL in text; refuse it before any route sees it.
            resp = JSONResponse(error_body("Parameters must not contain NUL characters"), status_code=400)
            await resp(scope, receive, send)
            return
        length = headers.get("content-length")
        limit_bytes = (
            media_body_limit(self.settings, scope.get("path", ""))
            or self.settings.max_request_body_bytes
        )
        if length is not None:
            try:
                too_big = int(length) > limit_bytes
            except ValueError:
                too_big = True
            if too_big:
                resp = JSONResponse(error_body("Request body too large"), status_code=413)
                await resp(scope, receive, send)
                return

        received = 0

        async def limited_receive() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit_bytes:
                    raise BodyTooLarge
            return message

        rate_headers: list[tuple[bytes, bytes]] = []
        path: str = scope.get("path", "")
        limiter: RateLimiter | None = getattr(scope["app"].state, "limiter", None)
        if self.settings.rate_limit_enabled and limiter and path.startswith("/api/"):
            auth = headers.get("authorization", "")
            client = scope.get("client") or ("unknown", 0)
            key = f"t:{digest(auth)[:32]}" if auth else f"ip:{client[0]}"
            verdict = await limiter.hit(
                "api", key, self.settings.rate_limit_requests, self.settings.rate_limit_window_seconds
            )
            rate_headers = [(k.lower().encode(), v.encode()) for k, v in verdict.headers().items()]
            if not verdict.allowed:
                resp = JSONResponse(
                    error_body("Too many requests"), status_code=429, headers=verdict.headers()
                )
                await resp(scope, receive, send)
                return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and rate_headers:
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in rate_headers if k not in present]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            resp = JSONResponse(error_body("Request body too large"), status_code=413)
            await resp(scope, receive, send)


def _has_nul(query_string: bytes) -> bool:
    return b"%00" in query_string or b"\x00" in query_string


async def housekeeping_once(app: FastAPI, settings: Settings) -> dict[str, int]:
    """One round of in-process housekeeping: unattached media past their TTL."""
    from chaupal.actions.media import cleanup_unattached_media

    return await cleanup_unattached_media(app.state.sessions, settings)


async def _housekeeping(app: FastAPI, settings: Settings) -> None:
    while True:
        await asyncio.sleep(settings.media_cleanup_interval_seconds)
        try:
            await housekeeping_once(app, settings)
        except Exception:  # keep the loop alive; the next round retries
            logging.getLogger("chaupal").exception("housekeeping failed")


def _start_job_runner(app: FastAPI, settings: Settings) -> tuple[asyncio.Event, asyncio.Task[None] | None]:
    """The in-process job runner (`jobs_in_process`); scale-out runs `chaupal worker` instead."""
    stop = asyncio.Event()
    if not settings.jobs_in_process:
        app.state.job_runner = None
        return stop, None
    from chaupal.events import hub_of
    from chaupal.jobs import JobRunner

    runner = JobRunner(
        app.state.sessions,
        settings,
        write_lock=app.state.write_lock,
        hub=hub_of(app.state),
        read_sessions=app.state.read_sessions,
    )
    app.state.job_runner = runner
    return stop, asyncio.create_task(runner.run_forever(stop))


async def _stop_job_runner(settings: Settings, stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    """Let the running batch finish (briefly), then cancel; held jobs are handed back."""
    stop.set()
    try:
        await asyncio.wait_for(asyncio.shield(task), settings.jobs_shutdown_grace_seconds)
    except (TimeoutError, asyncio.CancelledError):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    except Exception:  # shutting down: log, never block the exit
        logging.getLogger("chaupal").exception("job runner failed")


async def _bounded(settings: Settings, name: str, step: Awaitable[Any]) -> None:
    """One shutdown step, given at most `shutdown_step_timeout_seconds`; failures are logged."""
    task = asyncio.ensure_future(step)
    # asyncio.wait, not wait_for: wait_for would wait for a cancelled step to finish, which is
    # exactly what a stuck step never does.
    done, _ = await asyncio.wait({task}, timeout=settings.shutdown_step_timeout_seconds)
    if not done:
        task.cancel()
        logging.getLogger("chaupal").warning(
            "shutdown: %s did not stop within %s s; going on", name, settings.shutdown_step_timeout_seconds
        )
    elif not task.cancelled() and task.exception() is not None:  # log, never block the exit
        logging.getLogger("chaupal").error("shutdown: %s failed", name, exc_info=task.exception())


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings)
        app.state.engine = engine
        app.state.sessions = make_sessionmaker(engine)
        read_engine = engine.execution_options(readonly=True) if settings.is_sqlite else engine
        replica = None
        if settings.database_replica_url:
            if settings.is_sqlite:
                raise RuntimeError("CHAUPAL_DATABASE_REPLICA_URL needs PostgreSQL (the store is SQLite)")
            replica = read_engine = make_engine(settings, settings.database_replica_url)
        app.state.read_engine = read_engine
        app.state.read_sessions = make_sessionmaker(read_engine)
        app.state.secret_key = _secret_key(settings)
        app.state.write_lock = asyncio.Lock() if settings.is_sqlite else None
        from chaupal.federation import instance_actor

        instance_actor.install(app.state, settings)  # signs outgoing ActivityPub GETs (lazily)
        redis = None
        if settings.redis_url:
            import redis.asyncio as aioredis

            redis = aioredis.from_url(settings.redis_url, decode_responses=True)
        app.state.redis = redis
        app.state.limiter = RateLimiter(redis, settings.redis_prefix)
        bus = None
        if redis is not None:  # events of every process reach this process's streams
            from chaupal.events import hub_of
            from chaupal.events.redis_bus import RedisBus

            bus = RedisBus(redis, settings.redis_prefix, hub_of(app.state))
            await bus.start()
        app.state.event_bus = bus
        housekeeping = None
        if settings.media_cleanup_interval_seconds > 0:
            housekeeping = asyncio.create_task(_housekeeping(app, settings))
        app.state.housekeeping = housekeeping
        jobs_stop, jobs_task = _start_job_runner(app, settings)
        try:
            yield
        finally:
            # Each step is bounded: a stuck one (a Redis subscription that ignores its
            # cancellation, a connection a hung task still holds) must not keep the process
            # from exiting after SIGTERM; the rest still run.
            if jobs_task is not None:
                await _bounded(settings, "job runner", _stop_job_runner(settings, jobs_stop, jobs_task))
            if housekeeping is not None:
                housekeeping.cancel()
            from chaupal.insights.analytics.opens import flush_opens

            await _bounded(settings, "status opens", flush_opens(app))  # counted in memory
            from chaupal.api.mastodon.streaming import stop_streams

            await _bounded(settings, "streams", stop_streams(app))
            if bus is not None:
                await _bounded(settings, "event bus", bus.stop())
            if redis is not None:
                await _bounded(settings, "redis", redis.aclose())
            if replica is not None:
                await _bounded(settings, "replica", replica.dispose())
            instance_actor.uninstall(settings)
            await _bounded(settings, "database", engine.dispose())

    app = FastAPI(
        title="Chaupal",
        version=VERSION,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        swagger_ui_oauth2_redirect_url="/api/docs/oauth2-redirect",
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(LimitsMiddleware, settings=settings)
    if settings.metrics_enabled:  # outermost: times 413s and 429s too
        from chaupal.metrics import MetricsMiddleware

        app.add_middleware(MetricsMiddleware)
    from chaupal.api.mastodon.streaming_conns import RawSendMiddleware

    app.add_middleware(RawSendMiddleware)  # outermost: streaming frames skip the send wrappers

    from chaupal.api.routes import include_routers

    include_routers(app)
    return app
