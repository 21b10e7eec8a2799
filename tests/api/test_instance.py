"""Instance information, custom emojis and peers."""

from __future__ import annotations

import pytest

from chaupal.app import version_string


@pytest.mark.parametrize("path", ["/api/v1/instance", "/api/v1/instance/"])
async def test_instance_v1__with_and_without_slash(client, path, settings):
    r = await client.get(path)
    assert r.status_code == 200
    body = r.json()
    assert body["version"] == version_string() and body["uri"] == settings.domain
    assert body["configuration"]["statuses"]["max_characters"] == settings.max_status_chars
    assert body["registrations"] is True and body["approval_required"] is False
    assert body["urls"]["streaming_api"] == settings.streaming_url


@pytest.mark.parametrize("path", ["/api/v2/instance", "/api/v2/instance/"])
async def test_instance_v2__with_and_without_slash(client, path, settings):
    r = await client.get(path)
    assert r.status_code == 200
    body = r.json()
    assert body["version"] == version_string()
    assert body["api_versions"] == {"mastodon": 2}
    conf = body["configuration"]
    assert conf["statuses"] == {"max_characters": settings.max_status_chars, "max_media_attachments": 4,
                                "characters_reserved_per_url": 23}
    assert conf["accounts"]["max_pinned_statuses"] == settings.max_pins
    assert conf["urls"]["streaming"] == settings.streaming_url
    assert body["registrations"]["enabled"] is True and body["registrations"]["approval_required"] is False
    assert body["contact"]["email"] == settings.contact_email
    assert body["rules"] == []


async def test_instance__max_characters_follows_settings(app, settings):
    import httpx

    from chaupal.app import create_app

    custom = create_app(settings.model_copy(update={"max_status_chars": 1234, "registrations": "approval"}))
    transport = httpx.ASGITransport(app=custom)
    async with (
        custom.router.lifespan_context(custom),
        httpx.AsyncClient(transport=transport, base_url="http://t") as c,
    ):
        body = (await c.get("/api/v2/instance")).json()
    assert body["configuration"]["statuses"]["max_characters"] == 1234
    assert body["registrations"] == {"enabled": True, "approval_required": True, "message": None, "url": None}


async def test_instance__contact_account_is_an_admin(client, make_user):
    u = await make_user("boss")
    # promote through the database (no admin role API yet)
    await _promote(client, u.user_id)
    body = (await client.get("/api/v2/instance")).json()
    assert body["contact"]["account"]["id"] == str(u.account_id)


async def _promote(client, user_id):
    from chaupal.models import User

    app = client._transport.app
    async with app.state.sessions() as s:
        user = await s.get(User, user_id)
        user.role = "admin"
        await s.commit()


def test_version_string__mastodon_py_parses_it():
    from mastodon.versions import parse_version_string

    # Mastodon.py keeps what comes before the first space, then parses major.minor.patch
    assert tuple(parse_version_string(version_string().split(" ")[0])) >= (4, 3, 0)


async def test_custom_emojis__empty(client):
    r = await client.get("/api/v1/custom_emojis")
    assert r.status_code == 200 and r.json() == []


async def test_peers__empty_without_federation(client):
    r = await client.get("/api/v1/instance/peers")
    assert r.status_code == 200 and r.json() == []


async def test_instance_v2__media_configuration_is_what_the_pipeline_accepts(client, settings):
    r = await client.get("/api/v2/instance")
    media = r.json()["configuration"]["media_attachments"]
    assert "image/jpeg" in media["supported_mime_types"]
    assert "video/mp4" in media["supported_mime_types"]
    assert media["image_size_limit"] == settings.max_image_bytes
    assert media["image_matrix_limit"] == settings.max_image_pixels
    statuses = r.json()["configuration"]["statuses"]
    assert statuses["max_media_attachments"] == settings.max_media_attachments
