"""The /explore page over HTTP: approved trends for everyone, who-to-follow with follow and
dismiss buttons for signed-in users (CSRF-checked), nothing unreviewed shown."""

from __future__ import annotations

from sqlalchemy import select

from chaupal.actions.trends import do_refresh_trends, do_review_trend
from chaupal.models import Account, Follow, SuggestionDismissal, Tag
from tests.api.relation_helpers import count, db
from tests.web.flows import csrf_from, sign_in


async def _setup(app, settings, make_user, client):
    me = await make_user("reader")
    friend, star = await make_user("friend"), await make_user("star")
    async with db(app) as s:
        s.add(Follow(account_id=me.account_id, target_account_id=friend.account_id))
        s.add(Follow(account_id=friend.account_id, target_account_id=star.account_id))
    for user, text in ((friend, "खेती #किसान"), (star, "मंडी #किसान"), (friend, "#Unreviewed"), (star, "#Unreviewed")):
        r = await client.post("/api/v1/statuses", json={"status": text}, headers=user.headers)
        assert r.status_code == 200, r.text
    async with db(app) as s:
        await do_refresh_trends(s, settings)
        kisan = await s.scalar(select(Tag.id).where(Tag.name == "किसान"))
        await do_review_trend(s, "tag", kisan, True, None)
    return me, star


async def test_explore__anonymous_sees_approved_trends_only(client, app, settings, make_user):
    await _setup(app, settings, make_user, client)
    page = await client.get("/explore")
    assert page.status_code == 200
    assert "#किसान" in page.text and "Unreviewed" not in page.text
    assert 'id="who-to-follow"' not in page.text
    assert 'href="/explore"' in page.text  # in the navigation


async def test_explore__who_to_follow_then_dismiss(client, app, settings, make_user):
    me, star = await _setup(app, settings, make_user, client)
    assert (await sign_in(client, "reader")).status_code == 303
    page = await client.get("/explore")
    assert 'id="who-to-follow"' in page.text and "@star" in page.text
    assert "Followed by people you follow" in page.text
    bad = await client.post(f"/explore/suggestions/{star.account_id}/dismiss", data={"csrf_token": "x"})
    assert bad.status_code == 403 and await count(app, SuggestionDismissal) == 0
    done = await client.post(
        f"/explore/suggestions/{star.account_id}/dismiss", data={"csrf_token": csrf_from(page.text)}
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/explore")
    assert await count(app, SuggestionDismissal, SuggestionDismissal.account_id == me.account_id) == 1
    assert "@star" not in (await client.get("/explore")).text
    missing = await client.post("/explore/suggestions/123/dismiss", data={"csrf_token": csrf_from(page.text)})
    assert missing.status_code == 404


async def test_explore__dismiss_needs_sign_in(client, app, make_user):
    other = await make_user("other")
    r = await client.post(f"/explore/suggestions/{other.account_id}/dismiss", data={})
    assert r.status_code == 303 and "/auth/sign_in" in r.headers["location"]
    async with db(app) as s:
        assert await s.get(Account, other.account_id) is not None
