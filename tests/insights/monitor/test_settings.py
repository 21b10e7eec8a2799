"""Every reaction-monitor limit is a setting, and each is enforced."""

from __future__ import annotations

import asyncio

import pytest

from chaupal.events import hub_of
from tests.insights.monitor.test_reactions_api import _world
from tests.insights.monitor.util import SSE, post


@pytest.fixture
def tune(app, settings):
    def apply(**update):
        app.state.settings = settings.model_copy(update=update)

    yield apply
    app.state.settings = settings


async def test_window_max_and_default(client, make_user, tune):
    await _world(client, make_user)
    url = "/api/chaupal/v1/reactions/tags/metro"
    assert (await client.get(url, params={"window": "8d"})).status_code == 422  # default max 7 days
    assert (await client.get(url, params={"window": "7d"})).status_code == 200
    tune(reactions_window_max_seconds=3600)
    assert (await client.get(url, params={"window": "2h"})).status_code == 422
    tune(reactions_window_default_seconds=1800)
    window = (await client.get(url)).json()["window"]
    assert 1800 <= window["seconds"] < 1800 + window["bucket_seconds"] + 5


async def test_bucket_min_buckets_max_and_auto(client, make_user, tune):
    await _world(client, make_user)
    url = "/api/chaupal/v1/reactions/tags/metro"
    assert (await client.get(url, params={"window": "1h", "bucket": "5s"})).status_code == 422
    ok = (await client.get(url, params={"window": "1h", "bucket": "10s"})).json()
    assert ok["window"]["bucket_seconds"] == 10 and len(ok["series"]) in (360, 361)
    tune(reactions_buckets_max=100)
    assert (await client.get(url, params={"window": "1h", "bucket": "10s"})).status_code == 422
    tune(reactions_buckets_auto=12)
    auto = (await client.get(url, params={"window": "1h"})).json()
    assert auto["window"]["bucket_seconds"] == 300 and len(auto["series"]) <= 13
    tune(reactions_bucket_min_seconds=600)
    assert (await client.get(url, params={"window": "1h", "bucket": "5m"})).status_code == 422


async def test_scan_top_terms_top_replies_questions(client, make_user, tune):
    _, citizens, root, replies = await _world(client, make_user)
    for c in citizens:
        await client.post(f"/api/v1/statuses/{replies[0]['id']}/favourite", headers=c.headers)
    await client.post(f"/api/v1/statuses/{replies[1]['id']}/favourite", headers=citizens[0].headers)
    url = f"/api/chaupal/v1/reactions/statuses/{root['id']}"
    tune(reactions_top_terms=1, reactions_top_replies=1, reactions_questions_max=1)
    data = (await client.get(url)).json()
    assert len(data["top_terms"]) == 1 and len(data["most_engaged"]) == 1
    assert len(data["unanswered_questions"]) == 1 and data["questions"]["unanswered"] == 2
    tune(reactions_scan_max=2)
    data = (await client.get(url)).json()
    assert data["total"] == 2 and data["truncated"] and data["latest_id"] == replies[-1]["id"]


async def test_keyword_max_chars(client, make_user, tune):
    await make_user("someone")
    url = "/api/chaupal/v1/reactions/keywords"
    assert (await client.get(url, params={"q": "m" * 101})).status_code == 422
    assert (await client.get(url, params={"q": "m" * 100})).status_code == 200
    tune(reactions_keyword_max_chars=5)
    assert (await client.get(url, params={"q": "metros"})).status_code == 422


async def test_stream_coalesce__a_burst_gives_one_update(app, client, make_user, tune):
    pmo = await make_user("pmo")
    citizen = await make_user("citizen")
    root = await post(client, pmo, "Announcement")
    tune(reactions_stream_coalesce_seconds=2.0, stream_keepalive_seconds=60.0)
    async with SSE(app, f"/api/chaupal/v1/streaming/reactions?subject=status:{root['id']}") as stream:
        await stream.event()
        hub = hub_of(app.state)
        # two replies committed without the API publishing for them, then announced 0.1 s apart
        async with app.state.sessions() as s:
            from chaupal.actions.statuses import check_create_status
            from chaupal.models import Account

            author = await s.get(Account, citizen.account_id)
            for text in ("first reply", "second reply"):
                await check_create_status(s, app.state.settings, author, text=text, in_reply_to_id=int(root["id"]))
            await s.commit()
            events = s.info.pop("chaupal.events", [])
        assert len([e for e in events if e["type"] == "status.labelled"]) == 2
        for event in events:
            hub.publish(event)
            await asyncio.sleep(0.1)
        _, update = await stream.event()
        assert update["total"] == 2
        with pytest.raises(TimeoutError):
            await stream.event(timeout=1.0)  # the second reply did not cause a second update
