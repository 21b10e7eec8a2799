"""Media through Mastodon.py against a real `chaupal serve` (the e2e harness's server fixture):
media_post (polling until processed), media_update, status_post(media_ids=...), read back."""

from __future__ import annotations

import io
import secrets

import httpx
from mastodon import Mastodon
from PIL import Image

from tests.e2e.conftest import Server, e2e_backend, e2e_server  # noqa: F401 (fixtures)
from tests.media import samples


def _user(server: Server) -> Mastodon:
    client_id, client_secret = Mastodon.create_app(
        "media test", scopes=["read", "write"], api_base_url=server.url
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server.url)
    name = f"media{secrets.token_hex(4)}"
    api.create_account(
        name,
        "correct horse battery",
        f"{name}@example.org",
        agreement=True,
        scopes=["read", "write"],
    )
    return api


def test_media_post_then_status_post__read_back(e2e_server: Server) -> None:  # noqa: F811
    api = _user(e2e_server)
    media = api.media_post(
        samples.jpeg((80, 40), orientation=6, gps=True),
        mime_type="image/jpeg",
        description="A red and blue flag",
        focus=(0.5, -0.5),
        synchronous=True,
    )
    assert media.type == "image" and media.url and media.preview_url and media.blurhash
    assert media.meta.original.width == 40 and media.meta.original.height == 80
    assert media.meta.small.width == 40
    assert media.meta.focus.x == 0.5 and media.meta.focus.y == -0.5

    updated = api.media_update(media, description="Flag")
    assert updated.description == "Flag"

    status = api.status_post("", media_ids=[media])
    seen = api.status(status)
    attached = seen.media_attachments
    assert [str(m.id) for m in attached] == [str(media.id)]
    assert attached[0].description == "Flag" and attached[0].blurhash == media.blurhash
    assert attached[0].preview_url == media.preview_url

    served = httpx.get(attached[0].url)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert samples.GPS_IFD not in Image.open(io.BytesIO(served.content)).getexif()
