"""Safety test 11 (retry storm): a remote server that fails for three days and then recovers
gets each activity exactly once, and the attempts in between stay bounded and spread out; a
server down for longer becomes unavailable, is probed rarely, and a success clears it.
Time is simulated: the job runner and delivery read a fake clock advanced to each next due job."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from chaupal.db import utcnow
from chaupal.federation import delivery, policy
from chaupal.federation.outbox import publish
from chaupal.jobs import JobRunner, queue, runner
from chaupal.models import Account, Job
from chaupal.models.federation import DeliveryDestination
from tests.federation.helpers_send import make_remote

DAY = timedelta(days=1)


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


class FlakyServer:
    """Answers 503 (or drops the connection) until `up_at`, then 202; records every request."""

    def __init__(self, clock: Clock, up_at: datetime) -> None:
        self.clock, self.up_at = clock, up_at
        self.requests: list[tuple[datetime, str]] = []
        self.accepted: Counter[str] = Counter()

    async def __call__(self, settings: Any, inbox: str, body: bytes, key_id: str, pem: str) -> int:
        import json

        activity_id = json.loads(body)["id"]
        self.requests.append((self.clock.now, activity_id))
        if self.clock.now < self.up_at:
            if len(self.requests) % 2:
                raise ConnectionResetError("connection reset by peer")
            return 503
        self.accepted[activity_id] += 1
        return 202


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    for module in (runner, queue, delivery):
        monkeypatch.setattr(module, "utcnow", c)
    policy.clear_cache()
    return c


async def _drive(app: Any, settings: Any, clock: Clock, until: datetime) -> int:
    """Run every job as it falls due, jumping the clock to the next one, up to `until`."""
    job_runner = JobRunner(app.state.sessions, settings, name="sim")
    ran = 0
    while True:
        ran += await job_runner.run_until_idle()
        async with app.state.sessions() as s:
            nxt = await s.scalar(select(func.min(Job.run_at)).where(Job.state == "queued"))
        if nxt is None or nxt > until:
            return ran
        clock.now = max(clock.now, nxt)


async def _post(app: Any, settings: Any, account_id: int, n: int) -> str:
    activity_id = f"{settings.base_url}/users/alice/statuses/{n}/activity"
    async with app.state.sessions() as s:
        await publish(s, settings, await s.get(Account, account_id), {"id": activity_id, "type": "Create"})
        await s.commit()
    return activity_id


async def test_three_day_outage__each_activity_delivered_once_without_a_storm(app, settings, make_user, clock, monkeypatch):
    start = clock.now
    server = FlakyServer(clock, up_at=start + 3 * DAY)
    monkeypatch.setattr(delivery, "send", server)
    alice = await make_user("alice")
    for n in range(3):  # three followers on one server: one shared inbox
        await make_remote(app, f"f{n}", "flaky.example", follows=alice.account_id)

    sent = []
    for n in range(6):  # posts spread over the first day of the outage
        at = start + n * timedelta(hours=4)
        await _drive(app, settings, clock, until=at)  # what fell due before it, at its own time
        clock.now = at
        sent.append(await _post(app, settings, alice.account_id, n))
        await _drive(app, settings, clock, until=clock.now)
    await _drive(app, settings, clock, until=start + 30 * DAY)

    assert dict(server.accepted) == {a: 1 for a in sent}  # each exactly once
    per_activity = Counter(a for _, a in server.requests)
    limit = settings.federation_delivery_max_attempts
    assert all(count <= limit for count in per_activity.values()), per_activity
    assert len(server.requests) <= len(sent) * limit
    # No storm: in any one minute the server saw at most one request per activity.
    per_minute = Counter(t.replace(second=0, microsecond=0) for t, _ in server.requests)
    assert max(per_minute.values()) <= len(sent)
    # After recovery, everything arrived within one capped backoff step (<= 1.2 days).
    last = max(t for t, _ in server.requests)
    assert last <= server.up_at + timedelta(seconds=1.2 * settings.federation_unavailable_probe_seconds)
    async with app.state.sessions() as s:
        jobs = (await s.scalars(select(Job).where(Job.kind == "ap_deliver"))).all()
        assert len(jobs) == len(sent) and {j.state for j in jobs} == {"done"}
        dest = await s.scalar(select(DeliveryDestination).where(DeliveryDestination.host == "flaky.example"))
        assert dest.failing_since is None and not dest.unavailable and dest.deliveries == len(sent)


async def test_long_outage__server_marked_unavailable__probed_rarely__cleared_by_success(
    app, settings, make_user, clock, monkeypatch
):
    start = clock.now
    server = FlakyServer(clock, up_at=start + 12 * DAY)
    monkeypatch.setattr(delivery, "send", server)
    alice = await make_user("alice")
    await make_remote(app, "f", "flaky.example", follows=alice.account_id)
    await _post(app, settings, alice.account_id, 0)
    await _drive(app, settings, clock, until=start + 8 * DAY)  # the first activity gives up
    async with app.state.sessions() as s:
        dest = await s.scalar(select(DeliveryDestination))
        first = await s.scalar(select(Job).where(Job.kind == "ap_deliver"))
    assert first.state == "failed" and first.attempts == settings.federation_delivery_max_attempts
    assert dest.failing_since is not None and not dest.unavailable  # < 7 days of failures seen

    # Posts made from day 8 on: the first failure past 7 days marks the server unavailable.
    clock.now = start + 8 * DAY
    later = [await _post(app, settings, alice.account_id, n) for n in range(1, 6)]
    before = len(server.requests)
    await _drive(app, settings, clock, until=start + 12 * DAY - timedelta(seconds=1))
    async with app.state.sessions() as s:
        dest = await s.scalar(select(DeliveryDestination))
    assert dest.unavailable
    # While unavailable, at most one probe per probe interval (plus the attempts that marked it).
    probes = [t for t, _ in server.requests[before:] if t > start + 9 * DAY]
    assert len(probes) <= 3 + 1
    await _drive(app, settings, clock, until=start + 40 * DAY)
    assert dict(server.accepted) == {a: 1 for a in later}
    async with app.state.sessions() as s:
        dest = await s.scalar(select(DeliveryDestination))
    assert not dest.unavailable and dest.failing_since is None
