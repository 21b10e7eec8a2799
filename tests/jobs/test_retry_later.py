"""`RetryLater`: a handler's own retry schedule (federation delivery) — requeued at its delay with
its writes kept, the attempt counted, failed at the last attempt; `current_attempt()` inside."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chaupal.db import utcnow
from chaupal.jobs import JobRunner, RetryLater, current_attempt, enqueue, job_handler
from chaupal.models import Account, Job

SEEN: list[tuple[int, int]] = []


@job_handler("test_retry_later")
async def _retry_later(session: Any, settings: Any, payload: dict[str, Any]) -> None:
    SEEN.append(current_attempt())
    account = await session.get(Account, int(payload["account_id"]))
    account.note = f"attempt {current_attempt()[0]}"
    raise RetryLater(payload["delay"], "server said 503")


async def _run_job(app: Any, settings: Any, **kw: Any) -> Job:
    async with app.state.sessions() as s:
        job = await enqueue(s, "test_retry_later", kw, max_attempts=2)
        await s.commit()
    await JobRunner(app.state.sessions, settings, name="t").run_until_idle()
    async with app.state.sessions() as s:
        got = await s.get(Job, job.id)
        assert got is not None
        return got


async def test_retry_later__requeued_at_its_delay_with_writes_kept(app, settings, make_user):
    SEEN.clear()
    user = await make_user("retrier")
    before = utcnow()
    job = await _run_job(app, settings, account_id=user.account_id, delay=3600)
    assert (job.state, job.attempts, job.last_error, job.finished_at) == ("queued", 1, "server said 503", None)
    run_at = job.run_at if job.run_at.tzinfo else job.run_at.replace(tzinfo=before.tzinfo)
    assert before + timedelta(seconds=3500) < run_at < before + timedelta(seconds=3700)
    assert SEEN == [(1, 2)]
    async with app.state.sessions() as s:
        assert (await s.get(Account, user.account_id)).note == "attempt 1"


async def test_retry_later__at_the_last_attempt__fails_visibly(app, settings, make_user):
    SEEN.clear()
    user = await make_user("retrier2")
    job = await _run_job(app, settings, account_id=user.account_id, delay=0)
    assert (job.state, job.attempts, job.last_error) == ("failed", 2, "server said 503")
    assert SEEN == [(1, 2), (2, 2)]
    assert current_attempt() == (1, 1)  # outside a job
