"""The profile page links to analytics, advice and the mentions monitor only for those who
may read them: the account itself (and an institution's owners and analysts)."""

from __future__ import annotations

from tests.web.flows import browser, sign_in


async def test_profile__own_page__links_to_insights(app, make_user):
    await make_user("asha")
    async with browser(app) as b:
        await sign_in(b, "asha@example.org")
        page = await b.get("/@asha")
    assert page.status_code == 200
    assert 'href="/@asha/analytics"' in page.text and 'href="/@asha/advice"' in page.text


async def test_profile__someone_else_or_anonymous__no_insights_links(app, client, make_user):
    await make_user("asha")
    await make_user("bina")
    async with browser(app) as b:
        await sign_in(b, "bina@example.org")
        page = await b.get("/@asha")
    assert page.status_code == 200 and "/@asha/analytics" not in page.text
    anonymous = await client.get("/@asha")
    assert anonymous.status_code == 200 and "/@asha/analytics" not in anonymous.text
