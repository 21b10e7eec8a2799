"""Scheduled statuses (Mastodon API) on SQLite and PostgreSQL: `scheduled_at` on POST
/api/v1/statuses, list/show/reschedule/cancel, limits, media, and publishing by the job runner
through the same action as a normal post (mentions notify, the post reaches the timelines)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from chaupal.db import utcnow
from chaupal.jobs import JobRunner
from chaupal.models import Job, ScheduledStatus
from tests.api.test_media_statuses import upload


def _at(**delta: Any) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def _schedule(client: Any, user: Any, text: str = "later", **data: Any) -> Any:
    body = {"status": text, "scheduled_at": _at(hours=1), **data}
    return await client.post("/api/v1/statuses", json=body, headers=user.headers)


async def _time_passes(app: Any, settings: Any) -> int:
    """Move every scheduled time into the past and let the runner run what is due."""
    past = utcnow() - timedelta(seconds=1)
    async with app.state.sessions() as s:
        await s.execute(update(ScheduledStatus).values(scheduled_at=past))
        await s.execute(update(Job).where(Job.state == "queued").values(run_at=past))
        await s.commit()
    return await JobRunner(app.state.sessions, settings).run_until_idle()


async def test_post_with_scheduled_at__returns_a_scheduled_status_and_publishes_nothing(client, make_user):
    alice = await make_user("alice")
    r = await _schedule(client, alice, "hello #later", visibility="unlisted", spoiler_text="cw")
    assert r.status_code == 200, r.text
    entity = r.json()
    assert set(entity) >= {"id", "scheduled_at", "params", "media_attachments"}
    assert entity["params"]["text"] == "hello #later"
    assert entity["params"]["visibility"] == "unlisted"
    assert entity["params"]["spoiler_text"] == "cw"
    assert entity["params"]["with_rate_limit"] is False
    assert entity["scheduled_at"].endswith("Z")
    assert entity["chaupal"] == {"state": "scheduled", "created_by": "alice"}
    statuses = (await client.get(f"/api/v1/accounts/{alice.account_id}/statuses")).json()
    assert statuses == []
    assert (await client.get("/api/v1/timelines/public")).json() == []


async def test_scheduled_status__published_at_its_time_like_a_normal_post(app, client, settings, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    r = await _schedule(client, alice, "hi @bob #budget")
    sid = r.json()["id"]
    assert await _time_passes(app, settings) == 1
    [status] = (await client.get(f"/api/v1/accounts/{alice.account_id}/statuses")).json()
    assert "#budget" in status["content"] or "budget" in status["content"]
    assert [m["username"] for m in status["mentions"]] == ["bob"]
    notes = (await client.get("/api/v1/notifications", headers=bob.headers)).json()
    assert [(n["type"], n["status"]["id"]) for n in notes] == [("mention", status["id"])]
    assert [s["id"] for s in (await client.get("/api/v1/timelines/tag/budget")).json()] == [status["id"]]
    assert (await client.get(f"/api/v1/scheduled_statuses/{sid}", headers=alice.headers)).status_code == 404
    assert (await client.get("/api/v1/scheduled_statuses", headers=alice.headers)).json() == []
    async with app.state.sessions() as s:
        row = await s.get(ScheduledStatus, int(sid))
        assert (row.state, str(row.status_id)) == ("published", status["id"])
    assert await _time_passes(app, settings) == 0  # nothing published twice


async def test_scheduled_at__too_soon__422_and_nothing_stored(app, client, settings, make_user):
    alice = await make_user("alice")
    settings.scheduled_status_min_lead_seconds = 600
    r = await _schedule(client, alice, scheduled_at=_at(seconds=300))
    assert r.status_code == 422
    assert "must be in the future" in r.json()["error"]
    settings.scheduled_status_min_lead_seconds = 60
    assert (await _schedule(client, alice, scheduled_at=_at(seconds=300))).status_code == 200
    async with app.state.sessions() as s:
        assert len((await s.scalars(select(ScheduledStatus))).all()) == 1


async def test_scheduled_at__in_the_past__posts_at_once_as_mastodon(client, make_user):
    alice = await make_user("alice")
    r = await _schedule(client, alice, "now", scheduled_at=_at(minutes=-5))
    assert r.status_code == 200
    assert "content" in r.json() and "params" not in r.json()


async def test_scheduled_at__malformed__422(client, make_user):
    alice = await make_user("alice")
    for bad in ("tomorrow", "2024-13-45T00:00:00Z", "0001-01-01"):
        r = await _schedule(client, alice, scheduled_at=bad)
        assert r.status_code == 422, (bad, r.text)


async def test_scheduled_status__invalid_post__refused_when_scheduled(client, settings, make_user):
    alice = await make_user("alice")
    r = await _schedule(client, alice, "x" * (settings.max_status_chars + 1))
    assert r.status_code == 422
    r = await _schedule(client, alice, visibility="sideways")
    assert r.status_code == 422
    r = await _schedule(client, alice, in_reply_to_id="123456")
    assert r.status_code == 404


async def test_list__own_only__paged_with_link_headers(client, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    ids = [(await _schedule(client, alice, f"post {n}")).json()["id"] for n in range(3)]
    await _schedule(client, bob, "bob's")
    r = await client.get("/api/v1/scheduled_statuses", headers=alice.headers)
    assert [e["id"] for e in r.json()] == ids[::-1]
    r = await client.get("/api/v1/scheduled_statuses", params={"limit": 2}, headers=alice.headers)
    assert [e["id"] for e in r.json()] == ids[:0:-1]
    assert 'rel="next"' in r.headers["link"] and f"max_id={ids[1]}" in r.headers["link"]
    r = await client.get("/api/v1/scheduled_statuses", params={"max_id": ids[1]}, headers=alice.headers)
    assert [e["id"] for e in r.json()] == [ids[0]]
    assert (await client.get(f"/api/v1/scheduled_statuses/{ids[0]}", headers=bob.headers)).status_code == 404
    assert (await client.get("/api/v1/scheduled_statuses")).status_code == 401


async def test_reschedule__moves_the_time_and_the_job(app, client, settings, make_user):
    alice = await make_user("alice")
    sid = (await _schedule(client, alice)).json()["id"]
    later = datetime.now(UTC) + timedelta(days=2)
    r = await client.put(
        f"/api/v1/scheduled_statuses/{sid}", json={"scheduled_at": later.isoformat()}, headers=alice.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["scheduled_at"][:16] == later.strftime("%Y-%m-%dT%H:%M")
    async with app.state.sessions() as s:
        jobs = (await s.scalars(select(Job).where(Job.kind == "publish_scheduled"))).all()
    assert len(jobs) == 1 and abs((jobs[0].run_at - later).total_seconds()) < 1
    r = await client.put(
        f"/api/v1/scheduled_statuses/{sid}", json={"scheduled_at": _at(seconds=10)}, headers=alice.headers
    )
    assert r.status_code == 422
    bob = await make_user("bob")
    r = await client.put(
        f"/api/v1/scheduled_statuses/{sid}", json={"scheduled_at": _at(days=3)}, headers=bob.headers
    )
    assert r.status_code == 404


async def test_cancel__deleted_and_never_published(app, client, settings, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    sid = (await _schedule(client, alice)).json()["id"]
    assert (await client.delete(f"/api/v1/scheduled_statuses/{sid}", headers=bob.headers)).status_code == 404
    r = await client.delete(f"/api/v1/scheduled_statuses/{sid}", headers=alice.headers)
    assert (r.status_code, r.json()) == (200, {})
    assert (await client.get(f"/api/v1/scheduled_statuses/{sid}", headers=alice.headers)).status_code == 404
    await _time_passes(app, settings)
    assert (await client.get(f"/api/v1/accounts/{alice.account_id}/statuses")).json() == []


async def test_limits__total_and_per_day_are_settings(client, settings, make_user):
    alice = await make_user("alice")
    settings.max_scheduled_statuses_per_day = 2
    day = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=3)
    for n in range(2):
        r = await _schedule(client, alice, scheduled_at=(day + timedelta(minutes=n)).isoformat())
        assert r.status_code == 200
    r = await _schedule(client, alice, scheduled_at=(day + timedelta(hours=1)).isoformat())
    assert r.status_code == 422 and "for that day" in r.json()["error"]
    settings.max_scheduled_statuses = 3
    assert (await _schedule(client, alice, scheduled_at=(day + timedelta(days=1)).isoformat())).status_code == 200
    r = await _schedule(client, alice, scheduled_at=(day + timedelta(days=2)).isoformat())
    assert r.status_code == 422 and "limit of scheduled statuses" in r.json()["error"]


async def test_media__own_unattached_only__attached_at_publish(app, client, settings, make_user):
    alice, bob = await make_user("alice"), await make_user("bob")
    mine = await upload(client, alice, "a chart")
    theirs = await upload(client, bob)
    assert (await _schedule(client, alice, media_ids=[theirs])).status_code == 404
    r = await _schedule(client, alice, "with a picture", media_ids=[mine])
    assert r.status_code == 200, r.text
    entity = r.json()
    assert entity["params"]["media_ids"] == [mine]
    assert [m["id"] for m in entity["media_attachments"]] == [mine]
    assert entity["media_attachments"][0]["description"] == "a chart"
    assert (await _schedule(client, alice, media_ids=[mine])).status_code == 404  # promised already
    await _time_passes(app, settings)
    [status] = (await client.get(f"/api/v1/accounts/{alice.account_id}/statuses")).json()
    assert [m["id"] for m in status["media_attachments"]] == [mine]


async def test_publish__reply_parent_deleted__scheduled_status_and_job_fail_visibly(
    app, client, settings, make_user
):
    alice, bob = await make_user("alice"), await make_user("bob")
    parent = (await client.post("/api/v1/statuses", data={"status": "parent"}, headers=bob.headers)).json()
    sid = (await _schedule(client, alice, "reply", in_reply_to_id=parent["id"])).json()["id"]
    await client.delete(f"/api/v1/statuses/{parent['id']}", headers=bob.headers)
    await _time_passes(app, settings)
    async with app.state.sessions() as s:
        assert (await s.get(ScheduledStatus, int(sid))).state == "failed"
        job = await s.scalar(select(Job).where(Job.kind == "publish_scheduled"))
        assert job.state == "failed" and "could not be published" in job.last_error
    assert (await client.get(f"/api/v1/accounts/{alice.account_id}/statuses")).json() == []
