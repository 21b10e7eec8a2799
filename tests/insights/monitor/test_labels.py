"""Sentiment labels: written with the post (public and unlisted only), re-written on edit,
gone with the post, published as an event after commit; existing posts labelled in batches."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from chaupal.events import hub_of
from chaupal.insights.monitor import demo_backfill, do_label_status, label_missing
from chaupal.insights.monitor.labels import DEFER
from chaupal.insights.sentiment import classify
from chaupal.models import Account, Status
from chaupal.models.insights import StatusSentiment
from tests.insights.monitor.util import post


async def _label(app, status_id):
    async with app.state.sessions() as s:
        return await s.get(StatusSentiment, int(status_id))


async def test_posting__public_and_unlisted_labelled_in_the_same_transaction(app, client, make_user):
    alice = await make_user("alice")
    text = "What a wonderful, helpful announcement. Thank you!"
    public = await post(client, alice, text)
    unlisted = await post(client, alice, "kab milega paisa?", visibility="unlisted")
    private = await post(client, alice, "for followers", visibility="private")
    direct = await post(client, alice, "@alice a note", visibility="direct")
    row = await _label(app, public["id"])
    assert row is not None and row.label == classify([text])[0] and row.language_detected == "en"
    assert not row.is_question
    row = await _label(app, unlisted["id"])
    assert row is not None and row.language_detected == "hi-Latn" and row.is_question
    assert await _label(app, private["id"]) is None and await _label(app, direct["id"]) is None


async def test_posting__reblog_not_labelled_and_event_published_after_commit(app, client, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    original = await post(client, alice, "Budget day")
    with hub_of(app.state).subscribe() as sub:
        r = await client.post(f"/api/v1/statuses/{original['id']}/reblog", headers=bob.headers)
        assert r.status_code == 200
        reblog_id = r.json()["id"]
        reply = await post(client, bob, "Looks good", in_reply_to_id=original["id"])
        events = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
    assert await _label(app, reblog_id) is None
    labelled = [e for e in events if e["type"] == "status.labelled"]
    assert [e["status_id"] for e in labelled] == [reply["id"]]
    assert labelled[0]["label"] in ("negative", "neutral", "positive")


async def test_edit__relabels_and_delete__removes_label(app, client, make_user):
    alice = await make_user("alice")
    status = await post(client, alice, "This is a great and wonderful day, thank you")
    r = await client.put(f"/api/v1/statuses/{status['id']}", headers=alice.headers,
                         json={"status": "Kya yeh sach hai? When does it start?"})
    assert r.status_code == 200, r.text
    row = await _label(app, status["id"])
    assert row.is_question and row.label == classify(["Kya yeh sach hai? When does it start?"])[0]
    assert (await client.delete(f"/api/v1/statuses/{status['id']}", headers=alice.headers)).status_code == 200
    assert await _label(app, status["id"]) is None


async def test_label_missing__labels_in_batches_what_has_no_label(app, client, make_user, session):
    alice = await make_user("alice")
    ids = [(await post(client, alice, f"post number {n} is great")) ["id"] for n in range(7)]
    private = await post(client, alice, "hidden", visibility="private")
    await session.execute(delete(StatusSentiment))
    await session.commit()
    assert await label_missing(session, batch=3) == 7
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(StatusSentiment)) == 7
    assert await session.get(StatusSentiment, int(private["id"])) is None
    assert await label_missing(session) == 0
    assert {str(i) for i in (await session.scalars(select(StatusSentiment.status_id))).all()} == set(ids)


async def test_defer_flag__bulk_loader_skips_then_demo_backfill_labels(app, settings, make_user, session):
    from chaupal.actions.statuses import check_create_status
    from chaupal.db import utcnow

    alice = await make_user("alice")
    account = await session.get(Account, alice.account_id)
    session.info[DEFER] = True
    status = await check_create_status(session, settings, account, text="Demo post, very good")
    assert await do_label_status(session, status) is None
    await session.commit()
    assert await session.get(StatusSentiment, status.id) is None
    assert await demo_backfill(session, settings, utcnow()) == 1
    await session.commit()
    assert DEFER not in session.info
    assert (await session.get(StatusSentiment, status.id)).label == classify(["Demo post, very good"])[0]


async def test_classifier_failure__post_still_succeeds_unlabelled(app, client, make_user, monkeypatch):
    from chaupal.insights.monitor import labels

    def broken(texts):
        raise RuntimeError("model file damaged")

    monkeypatch.setattr(labels, "label_texts", broken)
    alice = await make_user("alice")
    status = await post(client, alice, "still posted")
    assert await _label(app, status["id"]) is None
    async with app.state.sessions() as s:
        assert await s.get(Status, int(status["id"])) is not None
