"""`chaupal worker` runs durable jobs outside `serve` (scale-out: set CHAUPAL_JOBS_IN_PROCESS=false
on the serve processes); `chaupal jobs list|retry` lets operators see and re-run failed jobs."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from chaupal.config import Settings
from chaupal.db import make_engine, make_sessionmaker
from chaupal.errors import ApiError

jobs_app = typer.Typer(help="Durable background jobs: list and retry.", no_args_is_help=True)
console = Console()


def worker(
    once: bool = typer.Option(False, "--once", help="Run the jobs due now, then exit (cron, tests)."),
    metrics_port: int = typer.Option(
        0, "--metrics-port", min=0, max=65535, help="Serve Prometheus /metrics (jobs, fan-out); 0: off."
    ),
    metrics_host: str = typer.Option("127.0.0.1", "--metrics-host", help="Address for --metrics-port."),
) -> None:
    """Run due background jobs until stopped (SIGINT/SIGTERM finish the running batch first)."""
    from chaupal.events import Hub
    from chaupal.jobs import JobRunner

    settings = Settings()
    if metrics_port:
        from chaupal.metrics import serve_worker_metrics

        serve_worker_metrics(metrics_port, metrics_host)

    async def run() -> int:
        engine = make_engine(settings)
        read_engine = engine.execution_options(readonly=True) if settings.is_sqlite else engine
        hub = Hub(settings.stream_subscriber_queue)
        bus = redis = None
        if settings.redis_url:  # events of jobs (scheduled posts...) reach every server's streams
            import redis.asyncio as aioredis

            from chaupal.events.redis_bus import RedisBus

            redis = aioredis.from_url(settings.redis_url, decode_responses=True)
            bus = RedisBus(redis, settings.redis_prefix, hub)
            await bus.start(listen=False)
        runner = JobRunner(
            make_sessionmaker(engine),
            settings,
            hub=hub,
            read_sessions=make_sessionmaker(read_engine),
        )
        try:
            if once:
                await runner.ensure_recurring()
                return await runner.run_until_idle()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            console.print(f"chaupal worker {runner.name}: polling every {settings.jobs_poll_interval_seconds}s")
            await runner.run_forever(stop)
            return 0
        finally:
            if bus is not None:
                await bus.stop()  # publishes what is still queued first
            if redis is not None:
                await redis.aclose()
            await engine.dispose()

    ran = asyncio.run(run())
    if once:
        console.print(f"ran {ran} jobs")


async def _in_session(settings: Settings, work: Any) -> Any:
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            result = await work(session)
            await session.commit()
            return result
    finally:
        await engine.dispose()


@jobs_app.command("list")
def list_command(
    failed: bool = typer.Option(False, "--failed", help="Only jobs that gave up."),
    limit: int = typer.Option(50, min=1, max=10_000, help="How many, newest first."),
) -> None:
    """List jobs, newest first, with their state, attempts and last error."""
    from chaupal.jobs import list_jobs

    async def work(session: Any) -> Any:
        return await list_jobs(session, failed_only=failed, limit=limit)

    jobs = asyncio.run(_in_session(Settings(), work))
    table = Table("id", "kind", "state", "attempts", "run at", "last error")
    for job in jobs:
        error = (job.last_error or "").strip().splitlines()
        table.add_row(
            str(job.id),
            job.kind,
            job.state,
            f"{job.attempts}/{job.max_attempts or '-'}",
            job.run_at.isoformat(timespec="seconds"),
            error[-1][:120] if error else "",
        )
    console.print(table)


@jobs_app.command("retry")
def retry_command(job_id: int = typer.Argument(..., help="The job's ID (see `chaupal jobs list`).")) -> None:
    """Queue a failed job to run again now, with a fresh set of attempts."""
    from chaupal.jobs import do_retry_job

    async def work(session: Any) -> Any:
        return await do_retry_job(session, job_id)

    try:
        job = asyncio.run(_in_session(Settings(), work))
    except ApiError as exc:
        console.print(f"[red]{exc.message if exc.status != 404 else f'no job {job_id}'}[/red]")
        raise typer.Exit(1) from None
    console.print(f"job {job.id} ({job.kind}) queued to run now")
