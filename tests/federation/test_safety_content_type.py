"""Safety 2 (Mastodon CVE-2024-25623, uploads passing for actors): a fetched document counts as
ActivityStreams only when served with an ActivityStreams content type, and our own uploads can
never be served with one (nor as JSON or HTML): they are sniffed, re-encoded, stored under
image/video extensions only and served with their own type, nosniff and a sandbox CSP."""

from __future__ import annotations

import json

import pytest

from chaupal.config import Settings
from chaupal.federation.fetch import FetchError, fetch_object
from tests.federation.fake_remote import FakeRemote
from tests.media import samples


@pytest.fixture
def cfg(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        domain="chaupal.test",
        https=True,
        secret_key="t",
        federation_allow_http_loopback=True,
    )


@pytest.mark.parametrize(
    "content_type",
    [
        "application/activity+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "Application/Activity+JSON; charset=utf-8",
    ],
)
async def test_activitystreams_content_types__accepted(cfg, content_type):
    async with FakeRemote() as remote:
        remote.json(
            "/users/eve", {"id": f"{remote.base}/users/eve", "type": "Person"}, content_type
        )
        assert (await fetch_object(cfg, f"{remote.base}/users/eve"))["type"] == "Person"


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "text/html", "text/plain", "image/png", "application/octet-stream", ""],
)
async def test_other_content_types__refused_even_with_a_valid_document(cfg, content_type):
    async with FakeRemote() as remote:
        # An uploaded file on the remote server, crafted to look like an actor of that server.
        remote.json(
            "/media/actor.png",
            {"id": f"{remote.base}/media/actor.png", "type": "Person"},
            content_type,
        )
        with pytest.raises(FetchError, match="not ActivityStreams"):
            await fetch_object(cfg, f"{remote.base}/media/actor.png")


ACTOR = json.dumps(
    {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "http://chaupal.test/x",
        "type": "Person",
    }
).encode()


async def _upload(client, user, data, name, ctype):
    return await client.post(
        "/api/v2/media", files={"file": (name, data, ctype)}, headers=user.headers
    )


async def test_upload_claiming_activitystreams__refused(client, make_user):
    alice = await make_user("alice")
    for data in (ACTOR, samples.png()):
        for ctype in (
            "application/activity+json",
            "application/ld+json",
            "application/json",
            "text/html",
        ):
            r = await _upload(client, alice, data, "actor.json", ctype)
            assert r.status_code == 422, (ctype, r.text)


async def test_polyglot_upload__served_as_an_image_without_the_payload(client, make_user):
    alice = await make_user("alice")
    r = await _upload(client, alice, samples.png() + ACTOR, "actor.json", "image/png")
    assert r.status_code == 200, r.text
    served = await client.get(r.json()["url"].removeprefix("http://chaupal.test"))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    assert b'"Person"' not in served.content  # re-encoded: the appended document is gone


async def test_media_paths_with_other_extensions__404(client):
    for ext in ("json", "jsonld", "html", "svg", "txt"):
        r = await client.get(f"/system/media/ab/cd/abcd{'0' * 28}.{ext}")
        assert r.status_code == 404
