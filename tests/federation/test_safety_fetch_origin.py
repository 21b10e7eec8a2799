"""Safety 1 (Mastodon CVE-2024-23832, origin confusion): a fetched object is accepted only when
its `id` is on the origin of the URL it finally came from — a server cannot hand out documents
that claim to be another server's actors or posts, directly or through a redirect."""

from __future__ import annotations

import pytest

from chaupal.config import Settings
from chaupal.federation.fetch import FetchError, fetch_object
from tests.federation.fake_remote import FakeRemote


@pytest.fixture
def cfg(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        domain="chaupal.test",
        https=True,
        secret_key="t",
        federation_allow_http_loopback=True,
    )


async def test_object_with_id_on_its_own_origin__accepted(cfg):
    async with FakeRemote() as remote:
        remote.json("/users/eve", {"id": f"{remote.base}/users/eve", "type": "Person"})
        doc = await fetch_object(cfg, f"{remote.base}/users/eve")
    assert doc["type"] == "Person"


async def test_object_claiming_another_origin__refused(cfg):
    async with FakeRemote() as evil, FakeRemote() as victim:
        for claimed in (
            f"{victim.base}/users/alice",  # another server (another port = another origin)
            "https://mastodon.example/users/alice",
            f"http://127.0.0.1:{evil.port}.evil.test/users/alice",  # look-alike spelling
            f"http://mastodon.example@127.0.0.1:{victim.port}/users/alice",
            None,
            ["https://mastodon.example/users/alice"],
        ):
            evil.json("/users/alice", {"id": claimed, "type": "Person"})
            with pytest.raises(FetchError, match="another origin"):
                await fetch_object(cfg, f"{evil.base}/users/alice")


async def test_redirect__id_checked_against_the_final_origin(cfg):
    async with FakeRemote() as first, FakeRemote() as second:
        first.redirect("/users/alice", f"{second.base}/actor")
        # The second server answers with an id on the first server: it cannot speak for it.
        second.json("/actor", {"id": f"{first.base}/users/alice", "type": "Person"})
        with pytest.raises(FetchError, match="another origin"):
            await fetch_object(cfg, f"{first.base}/users/alice")
        # An id on the server that actually answered is fine (the caller then keys on that id).
        second.json("/actor", {"id": f"{second.base}/actor", "type": "Person"})
        assert (await fetch_object(cfg, f"{first.base}/users/alice"))[
            "id"
        ] == f"{second.base}/actor"


async def test_same_origin_spelled_differently__accepted(cfg):
    async with FakeRemote() as remote:
        remote.json("/notes/1", {"id": f"HTTP://127.0.0.1:{remote.port}/notes/1", "type": "Note"})
        assert (await fetch_object(cfg, f"{remote.base}/notes/1"))["type"] == "Note"
