"""Outgoing delivery: publish enqueues one job in the caller's transaction and nothing for a
local audience; distribute resolves one inbox per server (shared inboxes), in batches, skipping
refused domains; deliver signs, treats 2xx/4xx/5xx as done/failed/retry and tracks host health."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from chaupal.federation import delivery, policy
from chaupal.federation.outbox import publish
from chaupal.jobs import JobRunner
from chaupal.models import Account, Job
from chaupal.models.federation import DeliveryDestination, DomainAllow, DomainBlock
from tests.federation.helpers_send import make_remote


class FakeRemote:
    """Stands in for the network: records each POST, answers `status` (or raises)."""

    def __init__(self, status: int | Exception = 202) -> None:
        self.status = status
        self.posts: list[tuple[str, bytes, str]] = []

    async def __call__(self, settings: Any, inbox: str, body: bytes, key_id: str, pem: str) -> int:
        assert pem.startswith("-----BEGIN PRIVATE KEY-----")
        self.posts.append((inbox, body, key_id))
        if isinstance(self.status, Exception):
            raise self.status
        return self.status


@pytest.fixture
def remote(monkeypatch: pytest.MonkeyPatch) -> FakeRemote:
    fake = FakeRemote()
    monkeypatch.setattr(delivery, "send", fake)
    policy.clear_cache()
    yield fake
    policy.clear_cache()


ACTIVITY = {"id": "https://chaupal.test/users/alice/statuses/1/activity", "type": "Create"}


async def _publish(app: Any, settings: Any, account_id: int, activity: dict = ACTIVITY, **kw: Any) -> None:
    async with app.state.sessions() as s:
        actor = await s.get(Account, account_id)
        await publish(s, settings, actor, activity, **kw)
        await s.commit()


async def _jobs(app: Any, kind: str | None = None) -> list[Job]:
    async with app.state.sessions() as s:
        stmt = select(Job).order_by(Job.id)
        if kind:
            stmt = stmt.where(Job.kind == kind)
        return list((await s.scalars(stmt)).all())


async def _run(app: Any, settings: Any) -> int:
    return await JobRunner(app.state.sessions, settings, name="t").run_until_idle()


async def test_publish__local_audience_only__enqueues_nothing(app, settings, make_user, remote):
    alice = await make_user("alice")
    bob = await make_user("bob")
    async with app.state.sessions() as s:
        from chaupal.models import Follow

        s.add(Follow(account_id=bob.account_id, target_account_id=alice.account_id))
        await s.commit()
    await _publish(app, settings, alice.account_id)
    assert await _jobs(app, "ap_distribute") == []


async def test_publish__federation_disabled__enqueues_nothing(app, settings, make_user, remote):
    alice = await make_user("alice")
    await make_remote(app, "carol", "one.example", follows=alice.account_id)
    settings.federation_enabled = False
    await _publish(app, settings, alice.account_id)
    assert await _jobs(app) == []


async def test_publish__rolled_back_with_the_write(app, settings, make_user, remote):
    alice = await make_user("alice")
    await make_remote(app, "carol", "one.example", follows=alice.account_id)
    async with app.state.sessions() as s:
        await publish(s, settings, await s.get(Account, alice.account_id), ACTIVITY)
        await s.rollback()
    assert await _jobs(app) == []


async def test_distribute__one_delivery_per_server_via_shared_inboxes(app, settings, make_user, remote):
    alice = await make_user("alice")
    await make_remote(app, "carol", "one.example", follows=alice.account_id)
    await make_remote(app, "dave", "one.example", follows=alice.account_id)
    await make_remote(app, "erin", "two.example", shared=False, follows=alice.account_id)
    await make_remote(app, "nofollow", "three.example")
    await _publish(app, settings, alice.account_id)
    assert len(await _jobs(app, "ap_distribute")) == 1
    await _run(app, settings)
    assert sorted(p[0] for p in remote.posts) == [
        "https://one.example/inbox",
        "https://two.example/users/erin/inbox",
    ]
    assert {p[2] for p in remote.posts} == {f"{settings.base_url}/users/alice#main-key"}
    assert all(p[1] == b'{"id":"https://chaupal.test/users/alice/statuses/1/activity","type":"Create"}' for p in remote.posts)
    assert {j.state for j in await _jobs(app)} == {"done"}
    async with app.state.sessions() as s:
        dests = {d.host: d for d in (await s.scalars(select(DeliveryDestination))).all()}
        assert set(dests) == {"one.example", "two.example"}
        assert dests["one.example"].deliveries == 1 and dests["one.example"].last_success_at is not None


async def test_distribute__explicit_inboxes_without_followers(app, settings, make_user, remote):
    alice = await make_user("alice")
    carol = await make_remote(app, "carol", "one.example", follows=alice.account_id)
    await _publish(app, settings, alice.account_id, to_followers=False, inboxes=[carol.inbox_url])
    await _run(app, settings)
    assert [p[0] for p in remote.posts] == ["https://one.example/users/carol/inbox"]


async def test_distribute__explicit_inbox_also_a_follower_inbox__sent_once(app, settings, make_user, remote):
    alice = await make_user("alice")
    await make_remote(app, "carol", "one.example", follows=alice.account_id)
    await _publish(app, settings, alice.account_id, inboxes=["https://one.example/inbox"])
    await _run(app, settings)
    assert [p[0] for p in remote.posts] == ["https://one.example/inbox"]


async def test_distribute__batches_with_a_continuation_job(app, settings, make_user, remote):
    settings.federation_delivery_batch = 2
    alice = await make_user("alice")
    for n in range(5):
        await make_remote(app, f"u{n}", f"s{n}.example", follows=alice.account_id)
    await _publish(app, settings, alice.account_id)
    await _run(app, settings)
    assert sorted(p[0] for p in remote.posts) == [f"https://s{n}.example/inbox" for n in range(5)]
    assert len(await _jobs(app, "ap_distribute")) == 3


async def test_distribute__skips_suspended_and_non_allowlisted_domains(app, settings, make_user, remote):
    alice = await make_user("alice")
    await make_remote(app, "carol", "ok.example", follows=alice.account_id)
    await make_remote(app, "dave", "sub.bad.example", follows=alice.account_id)
    await make_remote(app, "erin", "quiet.example", follows=alice.account_id)
    async with app.state.sessions() as s:
        s.add(DomainBlock(domain="bad.example", severity="suspend"))
        s.add(DomainBlock(domain="quiet.example", severity="silence"))
        await s.commit()
    await _publish(app, settings, alice.account_id)
    await _run(app, settings)
    assert sorted(p[0] for p in remote.posts) == ["https://ok.example/inbox", "https://quiet.example/inbox"]

    remote.posts.clear()
    policy.clear_cache()
    settings.federation_mode = "allowlist"
    async with app.state.sessions() as s:
        s.add(DomainAllow(domain="quiet.example"))
        await s.commit()
    await _publish(app, settings, alice.account_id)
    await _run(app, settings)
    assert [p[0] for p in remote.posts] == ["https://quiet.example/inbox"]


async def test_deliver__4xx_fails_at_once_and_visibly(app, settings, make_user, remote):
    remote.status = 410
    alice = await make_user("alice")
    await make_remote(app, "carol", "one.example", follows=alice.account_id)
    await _publish(app, settings, alice.account_id)
    await _run(app, settings)
    [job] = await _jobs(app, "ap_deliver")
    assert (job.state, job.attempts) == ("failed", 1)
    assert "HTTP 410" in job.last_error
    async with app.state.sessions() as s:
        dest = await s.scalar(select(DeliveryDestination))
        assert dest.failing_since is None  # the server is up; it refused this one


@pytest.mark.parametrize("status", [503, 429, ConnectionError("refused")])
async def test_deliver__5xx_429_network__retried_later_with_host_failing(app, settings, make_user, remote, status):
    remote.status = status
    alice = await make_user("alice")
    await make_remote(app, "carol", "one.example", follows=alice.account_id)
    await _publish(app, settings, alice.account_id)
    await _run(app, settings)
    [job] = await _jobs(app, "ap_deliver")
    assert (job.state, job.attempts, job.max_attempts) == ("queued", 1, settings.federation_delivery_max_attempts)
    assert job.last_error.startswith("https://one.example/inbox: ")
    async with app.state.sessions() as s:
        dest = await s.scalar(select(DeliveryDestination))
        assert dest.failing_since is not None and dest.failures == 1 and not dest.unavailable


async def test_deliver__refused_before_sending__permanent(app, settings, make_user, remote):
    class Refused(Exception):
        permanent = True

    remote.status = Refused("private address")
    alice = await make_user("alice")
    await make_remote(app, "carol", "one.example", follows=alice.account_id)
    await _publish(app, settings, alice.account_id)
    await _run(app, settings)
    [job] = await _jobs(app, "ap_deliver")
    assert job.state == "failed" and "private address" in job.last_error


def test_delivery_delay__doubles_capped_and_jittered(settings):
    import random

    rng = random.Random(7)
    base = settings.federation_delivery_base_delay_seconds
    cap = settings.federation_unavailable_probe_seconds
    for attempt in (1, 2, 5, 12, 15, 40):
        full = min(base * 2 ** (attempt - 1), cap)
        delays = [delivery.delivery_delay(settings, attempt, rng) for _ in range(100)]
        assert all(0.8 * full <= d <= 1.2 * full for d in delays)
        assert len(set(delays)) > 50
