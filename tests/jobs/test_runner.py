"""The durable job runner on SQLite and PostgreSQL: success, retry with backoff, failures kept
visible, lease-expiry reclaim, no job run twice by concurrent runners, dedupe, recurring jobs."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from chaupal.db import utcnow
from chaupal.jobs import (
    JobFailed,
    JobRunner,
    backoff_seconds,
    do_retry_job,
    enqueue,
    job_handler,
    list_jobs,
    recurring,
    recurring_key,
)
from chaupal.jobs.registry import HANDLERS, RECURRING
from chaupal.models import Account, Job

RAN: list[tuple[str, Any]] = []
FAILS_LEFT: dict[str, int] = {}


@job_handler("test_ok")
async def _ok(session: Any, settings: Any, payload: dict[str, Any]) -> None:
    RAN.append(("test_ok", payload.get("n")))


@job_handler("test_slow")
async def _slow(session: Any, settings: Any, payload: dict[str, Any]) -> None:
    await asyncio.sleep(0.01)
    RAN.append(("test_slow", payload["n"]))


@job_handler("test_flaky")
async def _flaky(session: Any, settings: Any, payload: dict[str, Any]) -> None:
    key = payload["key"]
    if FAILS_LEFT.get(key, 0) > 0:
        FAILS_LEFT[key] -= 1
        raise RuntimeError(f"flaky failure of {key}")
    RAN.append(("test_flaky", key))


@job_handler("test_writes_then_fails")
async def _writes_then_fails(session: Any, settings: Any, payload: dict[str, Any]) -> None:
    account = await session.get(Account, int(payload["account_id"]))
    account.note = payload["note"]
    await session.flush()
    if payload.get("permanent"):
        raise JobFailed("given up on purpose")
    raise RuntimeError("boom")


@job_handler("test_hangs")
async def _hangs(session: Any, settings: Any, payload: dict[str, Any]) -> None:
    await asyncio.sleep(30)


@job_handler("test_tick")
async def _tick(session: Any, settings: Any, payload: dict[str, Any]) -> None:
    RAN.append(("test_tick", None))


@pytest.fixture(autouse=True)
def _clean() -> Any:
    RAN.clear()
    FAILS_LEFT.clear()
    yield
    RECURRING.pop("test_tick", None)


def _runner(app: Any, settings: Any, name: str = "test") -> JobRunner:
    return JobRunner(app.state.sessions, settings, name=name)


async def _add(app: Any, kind: str, payload: dict[str, Any], **kw: Any) -> Job:
    async with app.state.sessions() as s:
        job = await enqueue(s, kind, payload, **kw)
        await s.commit()
        return job


async def _get(app: Any, job_id: int) -> Job:
    async with app.state.sessions() as s:
        job = await s.get(Job, job_id)
        assert job is not None
        return job


async def test_enqueue__is_part_of_the_callers_transaction(app, settings):
    async with app.state.sessions() as s:
        await enqueue(s, "test_ok", {"n": 1})
        await s.rollback()
    assert await _runner(app, settings).run_until_idle() == 0
    assert RAN == []


async def test_job__runs_once_and_is_marked_done(app, settings):
    job = await _add(app, "test_ok", {"n": 7})
    assert await _runner(app, settings).run_until_idle() == 1
    assert RAN == [("test_ok", 7)]
    done = await _get(app, job.id)
    assert (done.state, done.attempts, done.locked_by) == ("done", 1, None)
    assert done.finished_at is not None
    assert await _runner(app, settings).run_until_idle() == 0


async def test_job__not_due_yet__waits(app, settings):
    await _add(app, "test_ok", {"n": 1}, run_at=utcnow() + timedelta(hours=1))
    assert await _runner(app, settings).run_until_idle() == 0


async def test_job__unknown_kind__left_queued_for_a_runner_that_has_it(app, settings):
    job = await _add(app, "nobody_handles_this", {})
    assert await _runner(app, settings).run_until_idle() == 0
    assert (await _get(app, job.id)).state == "queued"


def test_backoff__exponential_with_jitter_and_capped(settings):
    settings.jobs_backoff_base_seconds = 10
    settings.jobs_backoff_cap_seconds = 100
    rng = random.Random(1)
    for attempt, full in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (50, 100)]:
        delays = [backoff_seconds(settings, attempt, rng) for _ in range(200)]
        assert all(full / 2 <= d <= full for d in delays)
        assert max(delays) - min(delays) > full / 4  # jittered, not lockstep


async def test_failure__retried_later_with_backoff_then_succeeds(app, settings):
    settings.jobs_backoff_base_seconds = 100
    FAILS_LEFT["a"] = 2
    job = await _add(app, "test_flaky", {"key": "a"})
    runner = _runner(app, settings)
    before = utcnow()
    assert await runner.run_until_idle() == 1  # failed, and not due again for a while
    waiting = await _get(app, job.id)
    assert (waiting.state, waiting.attempts) == ("queued", 1)
    assert "flaky failure of a" in (waiting.last_error or "")
    assert before + timedelta(seconds=50) <= waiting.run_at <= utcnow() + timedelta(seconds=100)
    for _ in range(2):  # pretend the backoff elapsed
        async with app.state.sessions() as s:
            await s.execute(update(Job).where(Job.id == job.id).values(run_at=utcnow()))
            await s.commit()
        await runner.run_until_idle()
    done = await _get(app, job.id)
    assert (done.state, done.attempts) == ("done", 3)
    assert RAN == [("test_flaky", "a")]


async def test_failure__after_max_attempts__stays_failed_and_visible(app, settings, make_user):
    settings.jobs_max_attempts = 3
    settings.jobs_backoff_base_seconds = 0  # retry at once
    settings.jobs_backoff_cap_seconds = 0
    alice = await make_user("alice")
    job = await _add(app, "test_writes_then_fails", {"account_id": alice.account_id, "note": "x"})
    assert await _runner(app, settings).run_until_idle() == 3
    failed = await _get(app, job.id)
    assert (failed.state, failed.attempts) == ("failed", 3)
    assert "RuntimeError: boom" in (failed.last_error or "")
    async with app.state.sessions() as s:
        assert (await s.get(Account, alice.account_id)).note != "x"  # each attempt rolled back
        assert [j.id for j in await list_jobs(s, failed_only=True)] == [job.id]
        await do_retry_job(s, job.id)  # the operator's retry
        await s.commit()
    again = await _get(app, job.id)
    assert (again.state, again.attempts) == ("queued", 0)
    assert again.last_error  # kept until it succeeds


async def test_job_failed__ends_at_once_and_keeps_the_handlers_writes(app, settings, make_user):
    alice = await make_user("alice")
    job = await _add(
        app, "test_writes_then_fails", {"account_id": alice.account_id, "note": "kept", "permanent": True}
    )
    assert await _runner(app, settings).run_until_idle() == 1
    failed = await _get(app, job.id)
    assert (failed.state, failed.attempts, failed.last_error) == ("failed", 1, "given up on purpose")
    async with app.state.sessions() as s:
        assert (await s.get(Account, alice.account_id)).note == "kept"


async def test_per_job_max_attempts__overrides_the_setting(app, settings):
    settings.jobs_backoff_base_seconds = settings.jobs_backoff_cap_seconds = 0
    FAILS_LEFT["b"] = 5
    job = await _add(app, "test_flaky", {"key": "b"}, max_attempts=1)
    await _runner(app, settings).run_until_idle()
    assert (await _get(app, job.id)).state == "failed"


async def test_handler_running_past_the_lease__times_out_as_a_failed_attempt(app, settings):
    settings.jobs_lease_seconds = 1
    settings.jobs_max_attempts = 1
    job = await _add(app, "test_hangs", {})
    await _runner(app, settings).run_until_idle()
    failed = await _get(app, job.id)
    assert failed.state == "failed" and "timed out" in (failed.last_error or "")


async def test_lease_expired__job_reclaimed_and_the_dead_runners_result_refused(app, settings):
    job = await _add(app, "test_ok", {"n": 1})
    dead = _runner(app, settings, "dead")
    [claim] = await dead.claim()  # ... and then the worker is killed
    assert await _runner(app, settings, "other").run_until_idle() == 0  # lease still held
    async with app.state.sessions() as s:
        await s.execute(
            update(Job).where(Job.id == job.id).values(locked_until=utcnow() - timedelta(seconds=1))
        )
        await s.commit()
    assert await _runner(app, settings, "other").run_until_idle() == 1
    done = await _get(app, job.id)
    assert (done.state, done.attempts) == ("done", 2)
    async with app.state.sessions() as s:  # the old claim can no longer finish the job
        assert await dead._finish(s, claim, "done", None) is False
        await s.rollback()
    assert RAN == [("test_ok", 1)]


async def test_lease_expired_on_the_last_attempt__fails_without_running(app, settings):
    settings.jobs_max_attempts = 1
    job = await _add(app, "test_ok", {"n": 1})
    await _runner(app, settings, "dead").claim()
    async with app.state.sessions() as s:
        await s.execute(
            update(Job).where(Job.id == job.id).values(locked_until=utcnow() - timedelta(seconds=1))
        )
        await s.commit()
    await _runner(app, settings).run_until_idle()
    failed = await _get(app, job.id)
    assert failed.state == "failed" and "lease expired" in (failed.last_error or "")
    assert RAN == []


async def test_release__hands_held_jobs_back_on_shutdown(app, settings):
    job = await _add(app, "test_ok", {"n": 1})
    runner = _runner(app, settings)
    [claim] = await runner.claim()
    runner._held.add(claim.token)
    await runner.release()
    assert (await _get(app, job.id)).state == "queued"


async def test_batch_size__limits_one_claim(app, settings, backend):
    settings.jobs_batch_size = 3
    for n in range(5):
        await _add(app, "test_ok", {"n": n})
    claimed = await _runner(app, settings).claim()
    assert len(claimed) == (1 if backend == "sqlite" else 3)  # SQLite: one writer, one at a time


async def test_two_runners_concurrently__never_run_one_job_twice(app, settings):
    settings.jobs_batch_size = 4
    for n in range(30):
        await _add(app, "test_slow", {"n": n})
    a, b = _runner(app, settings, "a"), _runner(app, settings, "b")
    counts = await asyncio.gather(a.run_until_idle(), b.run_until_idle(), a.run_until_idle())
    assert sum(counts) == 30
    assert sorted(n for _, n in RAN) == list(range(30))
    async with app.state.sessions() as s:
        states = (await s.scalars(select(Job.state).where(Job.kind == "test_slow"))).all()
        attempts = (await s.scalars(select(Job.attempts).where(Job.kind == "test_slow"))).all()
    assert set(states) == {"done"} and set(attempts) == {1}


async def test_dedupe_key__one_unfinished_job_per_key(app, settings):
    first = await _add(app, "test_ok", {"n": 1}, dedupe_key="daily:2024-01-01")
    second = await _add(app, "test_ok", {"n": 2}, dedupe_key="daily:2024-01-01")
    assert first.id == second.id
    async with app.state.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Job)) == 1
    await _runner(app, settings).run_until_idle()
    assert RAN == [("test_ok", 1)]
    third = await _add(app, "test_ok", {"n": 3}, dedupe_key="daily:2024-01-01")  # finished: new one
    assert third.id != first.id


async def test_dedupe_key__concurrent_enqueues_make_one_job(app, settings, backend):
    if backend == "sqlite":
        pytest.skip("SQLite writers are serialised; the race needs two concurrent transactions")
    async def add(n: int) -> int:
        async with app.state.sessions() as s:
            job = await enqueue(s, "test_ok", {"n": n}, dedupe_key="race")
            await asyncio.sleep(0.05)
            await s.commit()
            return job.id

    ids = await asyncio.gather(add(1), add(2))
    async with app.state.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Job)) == 1
    assert len(set(ids)) == 1


async def test_recurring__one_queued_job_and_the_next_enqueued_after_each_run(app, settings):
    recurring("test_tick", 3600)
    runner = _runner(app, settings)
    await runner.ensure_recurring()
    await runner.ensure_recurring()
    async with app.state.sessions() as s:
        jobs = (await s.scalars(select(Job).where(Job.kind == "test_tick"))).all()
    assert len(jobs) == 1 and jobs[0].dedupe_key == recurring_key("test_tick")
    assert await runner.run_until_idle() >= 1  # other modules' recurring jobs may run too
    async with app.state.sessions() as s:
        jobs = (await s.scalars(select(Job).where(Job.kind == "test_tick").order_by(Job.id))).all()
    assert [j.state for j in jobs] == ["done", "queued"]
    assert jobs[1].run_at >= utcnow() + timedelta(seconds=3500)
    assert RAN == [("test_tick", None)]


async def test_run_forever__polls_and_stops(app, settings):
    settings.jobs_poll_interval_seconds = 0.02
    runner = _runner(app, settings)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_forever(stop))
    await _add(app, "test_ok", {"n": 5})
    for _ in range(500):
        if RAN:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert RAN == [("test_ok", 5)]


async def test_serve_lifespan__runs_jobs_in_process_unless_turned_off(settings):
    from chaupal.app import create_app

    settings.jobs_in_process = True
    settings.jobs_poll_interval_seconds = 0.02
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        assert application.state.job_runner is not None
        await _add(application, "test_ok", {"n": 9})
        for _ in range(500):
            if RAN:
                break
            await asyncio.sleep(0.02)
    assert RAN == [("test_ok", 9)]
    settings.jobs_in_process = False
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        assert application.state.job_runner is None


def test_handler_registry__one_handler_per_kind():
    assert "publish_scheduled" in HANDLERS or __import__("chaupal.actions.scheduled")

    with pytest.raises(ValueError):

        @job_handler("test_ok")
        async def other(session: Any, settings: Any, payload: Any) -> None: ...
