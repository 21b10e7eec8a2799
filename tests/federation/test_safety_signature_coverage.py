"""Safety 3 (Misskey CVE-2023-49079, signatures that do not cover enough): a signature must cover
the request target, the host, a fresh date and, with a body, a digest that matches the body;
otherwise a signed request could be replayed elsewhere, later, or with another body."""

from __future__ import annotations

import pytest

from chaupal.config import Settings
from chaupal.federation.httpsig import (
    SignatureError,
    sign_headers,
    verify_request,
)
from chaupal.federation.httpsig_rfc9421 import sign_headers_rfc9421
from chaupal.federation.keys import generate_keypair

KEY_ID = "https://remote.example/users/mallory#main-key"
INBOX = "https://chaupal.test/users/alice/inbox"
BODY = b'{"type":"Create","actor":"https://remote.example/users/mallory"}'
T0 = 1_800_000_000.0


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_keypair()


@pytest.fixture
def cfg(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, domain="chaupal.test", https=True, secret_key="t")


def _resolver(public_pem: str):
    async def resolve(key_id: str) -> str | None:
        return public_pem if key_id == KEY_ID else None

    return resolve


async def _verify(cfg, keys, headers, body=BODY, *, now=T0, path="/users/alice/inbox", **kw):
    return await verify_request(cfg, "POST", path, headers, body, _resolver(keys[1]), now=now, **kw)


async def test_signed_post__covering_target_host_date_digest__verifies(cfg, keys):
    headers = sign_headers("POST", INBOX, BODY, KEY_ID, keys[0], now=T0)
    assert 'headers="(request-target) host date digest"' in headers["Signature"]
    assert await _verify(cfg, keys, headers) == KEY_ID


async def test_signature_without_digest__rejected_even_for_the_signed_body(cfg, keys):
    headers = sign_headers(
        "POST", INBOX, BODY, KEY_ID, keys[0], now=T0, covered=["(request-target)", "host", "date"]
    )
    with pytest.raises(SignatureError, match="must cover digest"):
        await _verify(cfg, keys, headers)
    # The attack it prevents: the same headers carrying another body.
    forged = b'{"type":"Delete","actor":"https://remote.example/users/mallory"}'
    with pytest.raises(SignatureError, match="must cover digest"):
        await _verify(cfg, keys, headers, forged)


async def test_signature_without_host__rejected(cfg, keys):
    headers = sign_headers(
        "POST", INBOX, BODY, KEY_ID, keys[0], now=T0, covered=["(request-target)", "date", "digest"]
    )
    with pytest.raises(SignatureError, match="must cover host"):
        await _verify(cfg, keys, headers)


async def test_signature_without_request_target_or_date__rejected(cfg, keys):
    for covered, message in (
        (["host", "date", "digest"], r"must cover \(request-target\)"),
        (["(request-target)", "host", "digest"], "must cover date"),
    ):
        headers = sign_headers("POST", INBOX, BODY, KEY_ID, keys[0], now=T0, covered=covered)
        with pytest.raises(SignatureError, match=message):
            await _verify(cfg, keys, headers)


async def test_wrong_digest__rejected(cfg, keys):
    headers = sign_headers("POST", INBOX, BODY, KEY_ID, keys[0], now=T0)
    with pytest.raises(SignatureError, match="Digest does not match"):
        await _verify(cfg, keys, headers, BODY.replace(b"Create", b"Delete"))


async def test_signed_for_another_host__rejected(cfg, keys):
    headers = sign_headers(
        "POST", "https://other.example/users/alice/inbox", BODY, KEY_ID, keys[0], now=T0
    )
    assert await _verify(cfg, keys, headers) == KEY_ID  # valid in itself...
    with pytest.raises(SignatureError, match="another host"):  # ...but not for us
        await _verify(cfg, keys, headers, expected_host="chaupal.test")


async def test_stale_date__replay_rejected(cfg, keys):
    headers = sign_headers("POST", INBOX, BODY, KEY_ID, keys[0], now=T0)
    later = T0 + cfg.federation_signature_max_age_seconds
    assert await _verify(cfg, keys, headers, now=later - 1) == KEY_ID
    with pytest.raises(SignatureError, match="too old"):
        await _verify(cfg, keys, headers, now=later + 1)


async def test_future_date_beyond_skew__rejected(cfg, keys):
    skew = cfg.federation_signature_skew_seconds
    headers = sign_headers("POST", INBOX, BODY, KEY_ID, keys[0], now=T0 + skew + 60)
    with pytest.raises(SignatureError, match="future"):
        await _verify(cfg, keys, headers)
    headers = sign_headers("POST", INBOX, BODY, KEY_ID, keys[0], now=T0 + skew - 60)
    assert await _verify(cfg, keys, headers) == KEY_ID


async def test_rfc9421__covering_method_target_digest__verifies(cfg, keys):
    headers = sign_headers_rfc9421("POST", INBOX, BODY, KEY_ID, keys[0], now=T0)
    assert await _verify(cfg, keys, headers) == KEY_ID


async def test_rfc9421__without_content_digest_or_method_or_target__rejected(cfg, keys):
    for components, message in (
        (["@method", "@target-uri"], "must cover content-digest"),
        (["@target-uri", "content-digest"], "must cover @method"),
        (["@method", "@path", "content-digest"], "must cover @target-uri"),
    ):
        headers = sign_headers_rfc9421(
            "POST", INBOX, BODY, KEY_ID, keys[0], now=T0, components=components
        )
        with pytest.raises(SignatureError, match=message):
            await _verify(cfg, keys, headers)


async def test_rfc9421__wrong_digest_and_stale_created__rejected(cfg, keys):
    headers = sign_headers_rfc9421("POST", INBOX, BODY, KEY_ID, keys[0], now=T0)
    with pytest.raises(SignatureError, match="Content-Digest does not match"):
        await _verify(cfg, keys, headers, BODY + b" ")
    with pytest.raises(SignatureError, match="too old"):
        await _verify(cfg, keys, headers, now=T0 + cfg.federation_signature_max_age_seconds + 1)
    with pytest.raises(SignatureError, match="future"):
        await _verify(cfg, keys, headers, now=T0 - cfg.federation_signature_skew_seconds - 1)
