"""The web app with remote accounts and posts (issue 7): full `@user@domain` handles, a link to
the origin, profile and thread pages of remote accounts we hold, and no confusion between a
remote `user@domain` and the local `user`."""

from __future__ import annotations

from tests.api.test_remote_accounts import remote, remote_post


async def test_remote_profile__full_handle_origin_link_and_posts(client, make_user, session):
    far = await remote(session, "pib", "gov.example", display_name="Press Information Bureau")
    note = await remote_post(session, far, "Cabinet decisions today")
    await session.commit()

    r = await client.get("/@pib@gov.example")
    assert r.status_code == 200, r.text
    assert "@pib@gov.example" in r.text
    assert 'href="https://gov.example/@pib"' in r.text
    assert "View on gov.example" in r.text
    assert "Cabinet decisions today" in r.text
    # Each post links to its original.
    assert f'href="{note.url}"' in r.text

    r = await client.get(f"/@pib@gov.example/{note.id}")
    assert r.status_code == 200 and "Cabinet decisions today" in r.text


async def test_remote_handle__never_shows_the_local_namesake(client, make_user, session):
    await make_user("pib")
    r = await client.get("/@pib@unknown.example")
    assert r.status_code == 404
    r = await client.get("/@pib")
    assert r.status_code == 200 and "View on" not in r.text
    r = await client.get("/@pib@chaupal.test")  # our own domain is the local account
    assert r.status_code == 200


async def test_public_timeline_page__remote_post_card(client, make_user, session):
    far = await remote(session, "pib", "gov.example")
    note = await remote_post(session, far, "Monsoon advisory")
    await session.commit()
    r = await client.get(f"/@pib@gov.example/{note.id}")
    assert "@pib@gov.example" in r.text and "Original on gov.example" in r.text
    assert 'href="/@pib@gov.example"' in r.text
