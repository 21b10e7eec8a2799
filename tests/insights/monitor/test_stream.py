"""The live reaction stream: opened over SSE, it answers at once and again after a matching
reply is committed; other posts do not wake it; bad input is refused before streaming."""

from __future__ import annotations

import asyncio

from chaupal.events import hub_of
from tests.insights.monitor.util import SSE, post


async def test_stream__new_reply_through_api__yields_updated_numbers(app, client, make_user):
    pmo = await make_user("pmo")
    citizen = await make_user("citizen")
    announcement = await post(client, pmo, "New metro line opens today")
    await post(client, citizen, "Wonderful news, thank you!", in_reply_to_id=announcement["id"])
    async with SSE(app, f"/api/chaupal/v1/streaming/reactions?subject=status:{announcement['id']}") as stream:
        name, first = await stream.event()
        assert stream.status == 200 and name == "reactions"
        assert first["total"] == 1 and first["subject"]["type"] == "status"
        await post(client, citizen, "Unrelated post about cricket")  # does not match: no update
        reply = await post(client, citizen, "When will it reach my district?", in_reply_to_id=announcement["id"])
        name, update = await stream.event(timeout=10)  # generous bound, not a speed assertion
        assert name == "reactions"
        assert update["total"] == 2 and update["latest_id"] == reply["id"]
        assert update["questions"]["unanswered"] == 1
        assert sum(update["sentiment"].values()) == 2
        assert sum(b["count"] for b in update["series"]) == 2
    await asyncio.sleep(0)
    assert hub_of(app.state).subscriber_count == 0


async def test_stream__hashtag_and_mentions_subjects_update(app, client, make_user):
    ministry = await make_user("ministry")
    citizen = await make_user("citizen")
    async with SSE(app, "/api/chaupal/v1/streaming/reactions?subject=tag:budget") as tag_stream, \
            SSE(app, f"/api/chaupal/v1/streaming/reactions?subject=account:{ministry.account_id}&window=1h") as men:
        _, first = await tag_stream.event()
        _, first_men = await men.event()
        assert first["total"] == 0 and first_men["total"] == 0
        await post(client, citizen, "@ministry the #Budget is bad for farmers")
        _, tag_update = await tag_stream.event()
        _, men_update = await men.event()
        assert tag_update["total"] == 1 and men_update["total"] == 1
        assert men_update["window"]["seconds"] >= 3600


async def test_stream__bad_subject_or_window__4xx_before_streaming(app, make_user):
    for query, status in (
        ("", 422), ("subject=nonsense", 422), ("subject=status:123", 404), ("subject=account:x", 404),
        ("subject=keyword:", 422), ("subject=tag:budget&window=999d", 422), ("subject=tag:budget&bucket=1s", 422),
    ):
        async with SSE(app, f"/api/chaupal/v1/streaming/reactions?{query}") as stream:
            body = await stream.body()
            assert stream.status == status, (query, body)
            assert '"error"' in body


async def test_stream__private_reply__not_pushed_and_not_counted(app, client, make_user):
    pmo = await make_user("pmo")
    citizen = await make_user("citizen")
    announcement = await post(client, pmo, "Budget speech at noon")
    async with SSE(app, f"/api/chaupal/v1/streaming/reactions?subject=status:{announcement['id']}") as stream:
        await stream.event()
        await post(client, citizen, "private thoughts", in_reply_to_id=announcement["id"], visibility="private")
        await post(client, citizen, "Public: looking forward to it", in_reply_to_id=announcement["id"])
        _, update = await stream.event()
        assert update["total"] == 1


async def test_stream__the_accounts_answer_updates_the_open_questions(app, client, make_user):
    pmo = await make_user("pmo")
    citizen = await make_user("citizen")
    root = await post(client, pmo, "Water supply schedule changes tomorrow")
    question = await post(client, citizen, "kab tak chalega yeh?", in_reply_to_id=root["id"])
    async with SSE(app, f"/api/chaupal/v1/streaming/reactions?subject=status:{root['id']}") as stream:
        _, first = await stream.event()
        assert first["questions"]["unanswered"] == 1
        await post(client, pmo, "@citizen Till Friday", in_reply_to_id=question["id"])
        _, update = await stream.event()  # the answer is not a reaction, but it wakes the stream
        assert update["questions"] == {"total": 1, "answered": 1, "unanswered": 0}
        assert update["total"] == 1
    mentions = (await client.get(f"/api/chaupal/v1/reactions/accounts/{pmo.account_id}/mentions")).json()
    assert mentions["questions"] == {"total": 1, "answered": 1, "unanswered": 0}


def test_window_factory__growing_post_window_falls_back_to_auto_bucket(settings):
    from datetime import timedelta

    from chaupal.db import utcnow
    from chaupal.insights.monitor.live import window_factory
    from chaupal.insights.monitor.subjects import Subject

    tight = settings.model_copy(update={"reactions_buckets_max": 10})
    subject = Subject("status", "1", None, started_at=utcnow() - timedelta(seconds=50))
    make = window_factory(tight, subject, None, "10s")  # 50 s / 10 s: fine now
    subject.started_at = utcnow() - timedelta(hours=1)  # as if an hour had passed
    window = make()
    assert window.bucket_seconds > 10 and window.buckets <= tight.reactions_buckets_auto + 1


async def test_stream__update_equals_a_fresh_fetch_and_events_are_json(app, client, make_user):
    import json

    pmo = await make_user("pmo")
    citizen = await make_user("citizen")
    root = await post(client, pmo, "Exam dates announced #exams")
    query = "window=6h&bucket=1h"
    async with SSE(app, f"/api/chaupal/v1/streaming/reactions?subject=tag:exams&{query}") as stream:
        await stream.event()
        with hub_of(app.state).subscribe() as sub:
            await post(client, citizen, "Why so early? #exams", in_reply_to_id=root["id"])
            events = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
        assert all(json.loads(json.dumps(e)) == e for e in events)
        _, update = await stream.event()
    fresh = (await client.get(f"/api/chaupal/v1/reactions/tags/exams?{query}")).json()
    for key in ("subject", "total", "truncated", "latest_id", "sentiment", "languages", "top_terms",
                "most_engaged", "questions", "unanswered_questions"):
        assert update[key] == fresh[key], key
    assert [b["count"] for b in update["series"]][-2:] == [b["count"] for b in fresh["series"]][-2:]
