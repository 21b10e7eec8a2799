"""The after-commit event hub, and the request session running it only once committed."""

from __future__ import annotations

import json

from fastapi import Request

from chaupal.api.deps import SessionDep
from chaupal.errors import ApiError
from chaupal.events import Hub, after_commit, hub_of, on_commit, publish_on_commit
from chaupal.models import Account


async def test_hub__fans_out_to_every_subscriber():
    hub = Hub()
    with hub.subscribe() as a, hub.subscribe() as b:
        hub.publish({"type": "x", "n": 1})
        assert (await a.get()) == {"type": "x", "n": 1} == (await b.get())
    assert hub.subscriber_count == 0


async def test_hub__slow_subscriber_is_dropped_not_blocking():
    hub = Hub(queue_size=2)
    slow = hub.subscribe()
    for n in range(3):
        hub.publish({"n": n})
    assert slow.overflowed and hub.subscriber_count == 0


async def test_after_commit__publishes_queued_events_and_runs_callbacks(session):
    hub = Hub()
    ran = []

    async def async_cb():
        ran.append("async")

    with hub.subscribe() as sub:
        publish_on_commit(session, {"type": "status.created", "status_id": "1"})
        on_commit(session, lambda: ran.append("sync"))
        on_commit(session, async_cb)
        on_commit(session, lambda: 1 / 0)  # logged, does not stop the others
        await session.commit()
        await after_commit(session, hub)
        event = await sub.get()
    assert json.loads(json.dumps(event)) == event  # events survive a JSON round trip (Redis)
    assert ran == ["sync", "async"]
    await after_commit(session, hub)  # nothing left queued
    assert sub.queue.empty()


def _route(app, fail: bool):
    async def route(request: Request, session: SessionDep) -> dict:
        session.add(Account(username="evt", username_lower="evt"))
        publish_on_commit(session, {"type": "test.event"})
        if fail:
            raise ApiError(422, "refused")
        return {}

    app.add_api_route(f"/test-events/{int(fail)}", route, methods=["POST"])


async def test_request_session__publishes_after_commit(app, client, session):
    _route(app, fail=False)
    with hub_of(app.state).subscribe() as sub:
        r = await client.post("/test-events/0")
        assert r.status_code == 200
        assert (await sub.get()) == {"type": "test.event"}
    assert await session.scalar(Account.__table__.select().where(Account.username == "evt"))


async def test_request_session__rolled_back_request_publishes_nothing(app, client):
    _route(app, fail=True)
    with hub_of(app.state).subscribe() as sub:
        r = await client.post("/test-events/1")
        assert r.status_code == 422
        assert sub.queue.empty()


async def test_api_status_create__publishes_status_created_after_commit(app, client, make_user):
    alice = await make_user("alice")
    with hub_of(app.state).subscribe() as sub:
        r = await client.post(
            "/api/v1/statuses", json={"status": "hello", "visibility": "private"}, headers=alice.headers
        )
        assert r.status_code == 200
        event = await sub.get()
    assert event == {
        "type": "status.created",
        "status_id": r.json()["id"],
        "account_id": str(alice.account_id),
        "visibility": "private",
    }


async def test_api_status_create__refused_post_publishes_nothing(app, client, make_user):
    alice = await make_user("alice")
    with hub_of(app.state).subscribe() as sub:
        r = await client.post("/api/v1/statuses", json={"status": ""}, headers=alice.headers)
        assert r.status_code == 422
        assert sub.queue.empty()
