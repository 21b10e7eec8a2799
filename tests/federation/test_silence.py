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


async def test_silenced_parent_domain__covers_subdomain_accounts(app, client, settings, make_user):
    """A silence of `example.com` limits `social.example.com` (and `example.com:8443`) as a
    suspension would; `notexample.com` and `example.com.evil` are other domains."""
    alice = await make_user("alice")
    carol = await make_remote(app, "carol", "social.example.com")
    dave = await make_remote(app, "dave", "example.com:8443")
    erin = await make_remote(app, "erin", "notexample.com")
    frank = await make_remote(app, "frank", "example.com.evil")
    async with app.state.sessions() as s:
        tag = Tag(name="budget", name_lower="budget")
        s.add(tag)
        for n, author in enumerate((carol, dave, erin, frank)):
            status = Status(
                account_id=author.id, uri=f"{author.uri}/statuses/{n}", text="#budget",
                content="<p>#budget</p>", local=False, visibility="public",
            )
            s.add(status)
            await s.flush()
            s.add(StatusTag(status_id=status.id, tag_id=tag.id))
        await s.commit()

    async def authors(path: str) -> set[str]:
        return {x["account"]["acct"].split("@")[0] for x in (await client.get(path)).json()}

    everyone = {"carol", "dave", "erin", "frank"}
    assert await authors("/api/v1/timelines/public") == everyone
    await _silence(app, "example.com")
    for path in ("/api/v1/timelines/public", "/api/v1/timelines/public?remote=true", "/api/v1/timelines/tag/budget"):
        assert await authors(path) == {"erin", "frank"}, path
    async with app.state.sessions() as s:
        assert [t for t in await tag_uses(s, settings, utcnow())] != []  # erin and frank still count
        assert await do_notify(s, recipient_id=alice.account_id, from_account_id=carol.id, type="follow") is None
        assert await do_notify(s, recipient_id=alice.account_id, from_account_id=dave.id, type="follow") is None
        assert await do_notify(s, recipient_id=alice.account_id, from_account_id=erin.id, type="follow") is not None
        s.add(Follow(account_id=alice.account_id, target_account_id=carol.id))
        await s.flush()
        assert await do_notify(s, recipient_id=alice.account_id, from_account_id=carol.id, type="mention") is not None
        await s.rollback()


async def test_silenced_parent_domain__more_specific_noop_row_exempts_subdomain(app, client, settings, make_user):
    carol = await make_remote(app, "carol", "social.example.com")
    dave = await make_remote(app, "dave", "other.example.com")
    async with app.state.sessions() as s:
        for n, author in enumerate((carol, dave)):
            s.add(Status(
                account_id=author.id, uri=f"{author.uri}/statuses/{n}", text="hi", content="<p>hi</p>",
                local=False, visibility="public",
            ))
        s.add(DomainBlock(domain="social.example.com", severity="noop", reject_media=True))
        await s.commit()
    await _silence(app, "example.com")
    public = (await client.get("/api/v1/timelines/public")).json()
    assert [x["account"]["acct"] for x in public] == ["carol@social.example.com"]


async def test_silenced_domain_with_underscore__is_not_a_like_wildcard(app, client, settings, make_user):
    carol = await make_remote(app, "carol", "social.ab.example")
    async with app.state.sessions() as s:
        s.add(Status(
            account_id=carol.id, uri=f"{carol.uri}/statuses/1", text="hi", content="<p>hi</p>",
            local=False, visibility="public",
        ))
        await s.commit()
    await _silence(app, "a_.example")  # as a LIKE pattern `%.a_.example` would match `social.ab.example`
    assert len((await client.get("/api/v1/timelines/public")).json()) == 1
    await _silence(app, "ab.example")
    assert (await client.get("/api/v1/timelines/public")).json() == []
