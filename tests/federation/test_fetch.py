"""Outgoing ActivityPub requests against a local server: the Accept header, signed GETs and
POSTs that our own verifier accepts (pinned address, real Host), statuses and bad JSON."""

from __future__ import annotations

import pytest

from chaupal.config import Settings
from chaupal.federation.fetch import (
    AS_ACCEPT,
    FetchError,
    Signer,
    fetch_json,
    fetch_object,
    post_activity,
)
from chaupal.federation.httpsig import verify_request
from chaupal.federation.keys import generate_keypair
from tests.federation.fake_remote import FakeRemote

KEY_ID = "https://chaupal.test/users/alice#main-key"


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_keypair()


@pytest.fixture
def cfg(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        domain="chaupal.test",
        https=True,
        secret_key="t",
        federation_allow_http_loopback=True,
    )


def _resolver(pem: str):
    async def resolve(key_id: str) -> str:
        return pem

    return resolve


async def test_fetch_object__accept_header_unsigned_by_default(cfg):
    async with FakeRemote() as remote:
        remote.json("/users/eve", {"id": f"{remote.base}/users/eve", "type": "Person"})
        await fetch_object(cfg, f"{remote.base}/users/eve")
    seen = remote.requests[0]
    assert seen.method == "GET" and seen.headers["accept"] == AS_ACCEPT
    assert "signature" not in seen.headers and seen.headers["user-agent"].startswith("Chaupal/")


async def test_fetch_object__signed_get_verifies_at_the_other_end(cfg, keys):
    async with FakeRemote() as remote:
        remote.json("/users/eve", {"id": f"{remote.base}/users/eve", "type": "Person"})
        await fetch_object(cfg, f"{remote.base}/users/eve?x=1", signer=Signer(KEY_ID, keys[0]))
    seen = remote.requests[0]
    assert seen.headers["host"] == f"127.0.0.1:{remote.port}"
    peer = Settings(domain=f"127.0.0.1:{remote.port}", secret_key="t", data_dir=cfg.data_dir)
    assert (
        await verify_request(peer, "GET", seen.path, seen.headers, b"", _resolver(keys[1]))
        == KEY_ID
    )


async def test_post_activity__signed_with_digest_status_returned(cfg, keys):
    body = b'{"type":"Follow"}'
    async with FakeRemote() as remote:
        remote.routes["/inbox"] = (202, {}, b"")
        remote.routes["/gone"] = (410, {}, b"")
        remote.redirect("/moved", "/inbox")
        signer = Signer(KEY_ID, keys[0])
        assert await post_activity(cfg, f"{remote.base}/inbox", body, signer) == 202
        assert await post_activity(cfg, f"{remote.base}/gone", body, signer) == 410
        assert await post_activity(cfg, f"{remote.base}/moved", body, signer) == 302  # not followed
    seen = remote.requests[0]
    assert seen.method == "POST" and seen.body == body
    assert seen.headers["content-type"] == "application/activity+json"
    peer = Settings(domain=f"127.0.0.1:{remote.port}", secret_key="t", data_dir=cfg.data_dir)
    assert (
        await verify_request(peer, "POST", "/inbox", seen.headers, seen.body, _resolver(keys[1]))
        == KEY_ID
    )


async def test_post_activity__network_failure_is_a_temporary_fetch_error(cfg, keys):
    async with FakeRemote() as remote:
        port = remote.port
    with pytest.raises(FetchError, match="ConnectError") as failed:
        await post_activity(cfg, f"http://127.0.0.1:{port}/inbox", b"{}", Signer(KEY_ID, keys[0]))
    assert not failed.value.permanent


async def test_errors__status_bad_json_and_fetch_json(cfg):
    async with FakeRemote() as remote:
        remote.routes["/bad"] = (200, {"Content-Type": "application/activity+json"}, b"{not json")
        remote.routes["/list"] = (200, {"Content-Type": "application/activity+json"}, b"[1, 2]")
        remote.json("/.well-known/webfinger", {"subject": "acct:eve@x"}, "application/jrd+json")
        with pytest.raises(FetchError, match="answered 404") as missing:
            await fetch_object(cfg, f"{remote.base}/nothing")
        assert missing.value.status == 404
        with pytest.raises(FetchError, match="not JSON"):
            await fetch_object(cfg, f"{remote.base}/bad")
        with pytest.raises(FetchError, match="not an ActivityStreams object"):
            await fetch_object(cfg, f"{remote.base}/list")
        jrd = await fetch_json(
            cfg,
            f"{remote.base}/.well-known/webfinger?resource=acct:eve@x",
            accept="application/jrd+json",
        )
        assert jrd == {"subject": "acct:eve@x"}
        assert remote.requests[-1].headers["accept"] == "application/jrd+json"
    for url in ("ftp://example.com/x", "https://evil.test\\@example.com/x", "not a url"):
        with pytest.raises(FetchError) as refused:
            await fetch_object(cfg, url)
        assert refused.value.permanent
