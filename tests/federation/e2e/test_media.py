"""Acceptance (issue 7): an image posted on one server reaches a follower on another and is
served there from that server's own cached copy (made through its media pipeline), with the
original kept as `remote_url`."""

from __future__ import annotations

import io

import httpx
from PIL import Image

from tests.federation.e2e.flows import follow, home_copy
from tests.federation.e2e.harness import Instance, unique, wait_for


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (90, 60), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_image_post__cached_by_the_follower_server(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    alice_name, bob_name = unique("alice"), unique("bob")
    alice, bob = a.register(alice_name), b.register(bob_name)
    follow(bob, a.handle(alice_name))

    media = alice.media_post(_png(), mime_type="image/png", description="A red flag")
    post = alice.status_post("Flag hoisting at 9", media_ids=[media.id], visibility="public")
    copy = wait_for("the post on B", lambda: home_copy(bob, post.uri))
    (original,) = alice.status(post.id).media_attachments

    def cached() -> object:
        (attachment,) = bob.status(copy.id).media_attachments
        return attachment if attachment.url.startswith(b.url) else None

    attachment = wait_for("B's cached copy of the image", cached)
    assert attachment.remote_url == original.url
    assert attachment.preview_url.startswith(b.url)
    assert attachment.description == "A red flag"
    assert attachment.meta.original.width == 90
    served = httpx.get(attachment.url)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.size == (90, 60)
