"""The operator's `silence` of a domain (Mastodon's limited accounts): its posts leave the
public timeline (also `remote=true`), hashtag timelines and trends, and its accounts' notifications
reach only local users who follow them. Followers still see the posts at home."""

from __future__ import annotations

from typing import Any

from chaupal.actions.notifications import do_notify
from chaupal.db import utcnow
from chaupal.federation import policy
from chaupal.insights.trends.compute import link_uses, tag_uses
from chaupal.models import Follow, Status, StatusTag, Tag
from chaupal.models.federation import DomainBlock
from tests.federation.helpers_send import make_remote


async def _silence(app: Any, domain: str) -> None:
    async with app.state.sessions() as s:
        s.add(DomainBlock(domain=domain, severity="silence"))
        await s.commit()
    policy.clear_cache()


async def test_silenced_domain__out_of_public_tag_timelines_and_trends(app, client, settings, make_user):
    carol = await make_remote(app, "carol", "quiet.example")
    async with app.state.sessions() as s:
        tag = Tag(name="budget", name_lower="budget")
        status = Status(
            account_id=carol.id, uri=f"{carol.uri}/statuses/1", text="#budget https://news.example/a",
            content="<p>#budget https://news.example/a</p>", local=False, visibility="public",
        )
        s.add_all([tag, status])
        await s.flush()
        s.add(StatusTag(status_id=status.id, tag_id=tag.id))
        await s.commit()

    async def seen() -> tuple[int, int, int, int, int]:
        async with app.state.sessions() as s:
            tags = await tag_uses(s, settings, utcnow())
            links, _ = await link_uses(s, settings, utcnow())
        public = (await client.get("/api/v1/timelines/public")).json()
        remote = (await client.get("/api/v1/timelines/public?remote=true")).json()
        tagged = (await client.get("/api/v1/timelines/tag/budget")).json()
        return len(public), len(remote), len(tagged), len(tags), len(links)

    assert await seen() == (1, 1, 1, 1, 1)
    await _silence(app, "quiet.example")
    assert await seen() == (0, 0, 0, 0, 0)


async def test_silenced_domain__notifications_only_to_followers(app, make_user):
    alice = await make_user("alice")
    bob = await make_user("bob")
    carol = await make_remote(app, "carol", "quiet.example")
    async with app.state.sessions() as s:
        s.add(Follow(account_id=bob.account_id, target_account_id=carol.id))
        await s.commit()
        assert await do_notify(s, recipient_id=alice.account_id, from_account_id=carol.id, type="follow")
        await s.rollback()
    await _silence(app, "quiet.example")
    async with app.state.sessions() as s:
        for_alice = await do_notify(s, recipient_id=alice.account_id, from_account_id=carol.id, type="follow")
        for_bob = await do_notify(s, recipient_id=bob.account_id, from_account_id=carol.id, type="mention")
        local = await do_notify(s, recipient_id=alice.account_id, from_account_id=bob.account_id, type="follow")
    assert for_alice is None  # a stranger on a silenced domain
    assert for_bob is not None  # bob follows carol
    assert local is not None  # local senders are never silenced
