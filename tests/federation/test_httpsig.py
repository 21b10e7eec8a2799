"""HTTP signatures beyond the safety cases: Mastodon's own header shapes, hs2019, GETs without a
body, key rotation through one refetch, header containers, and malformed input as SignatureError."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from starlette.datastructures import Headers

from chaupal.config import Settings
from chaupal.federation import httpsig, httpsig_common
from chaupal.federation.httpsig import (
    SignatureError,
    sign_headers,
    verify_request,
)
from chaupal.federation.httpsig_rfc9421 import sign_headers_rfc9421
from chaupal.federation.keys import generate_keypair

KEY_ID = "https://remote.example/users/bob#main-key"
T0 = 1_800_000_000.0


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_keypair()


@pytest.fixture(scope="module")
def other_keys() -> tuple[str, str]:
    return generate_keypair()


@pytest.fixture
def cfg(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, domain="chaupal.test", https=True, secret_key="t")


def _fixed(pem):
    async def resolve(key_id: str) -> str | None:
        return pem

    return resolve


def test_sign_headers__mastodon_shape():
    private, _ = generate_keypair()
    h = sign_headers(
        "POST", "https://Mastodon.Example:443/users/a/inbox?x=1", b"{}", KEY_ID, private, now=T0
    )
    assert h["Host"] == "mastodon.example"
    assert h["Date"] == "Fri, 15 Jan 2027 08:00:00 GMT"
    assert h["Digest"] == "SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o="
    assert h["Signature"].startswith(
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="'
    )
    get = sign_headers("GET", "https://mastodon.example/users/a", None, KEY_ID, private, now=T0)
    assert "Digest" not in get and 'headers="(request-target) host date"' in get["Signature"]


async def test_get_without_body__verifies_and_query_is_signed(cfg, keys):
    headers = sign_headers(
        "GET", "https://chaupal.test/users/alice/outbox?page=true", None, KEY_ID, keys[0], now=T0
    )
    assert (
        await verify_request(
            cfg, "GET", "/users/alice/outbox?page=true", headers, b"", _fixed(keys[1]), now=T0
        )
        == KEY_ID
    )
    with pytest.raises(SignatureError, match="does not verify"):
        await verify_request(
            cfg, "GET", "/users/alice/outbox?page=false", headers, b"", _fixed(keys[1]), now=T0
        )


async def test_hs2019_and_mastodon_date_without_weekday__accepted(cfg, keys):
    date = "15 Jan 2027 08:00:00 GMT"
    text = f"(request-target): post /inbox\nhost: chaupal.test\ndate: {date}\ndigest: {httpsig.digest_header(b'x')}"
    sig = base64.b64encode(
        httpsig_common.private_key(keys[0]).sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    ).decode()
    headers = {
        "Host": "chaupal.test",
        "Date": date,
        "Digest": httpsig.digest_header(b"x"),
        "Signature": f'keyId="{KEY_ID}", algorithm="hs2019", headers="(request-target) host date digest", signature="{sig}"',
    }
    assert (
        await verify_request(cfg, "POST", "/inbox", headers, b"x", _fixed(keys[1]), now=T0)
        == KEY_ID
    )
    headers["Signature"] = headers["Signature"].replace("hs2019", "hmac-sha256")
    with pytest.raises(SignatureError, match="unsupported signature algorithm"):
        await verify_request(cfg, "POST", "/inbox", headers, b"x", _fixed(keys[1]), now=T0)


async def test_other_key__rejected_then_rotation_accepted_after_one_refetch(cfg, keys, other_keys):
    headers = sign_headers(
        "POST", "https://chaupal.test/inbox", b"{}", KEY_ID, other_keys[0], now=T0
    )
    with pytest.raises(SignatureError, match="does not verify"):
        await verify_request(cfg, "POST", "/inbox", headers, b"{}", _fixed(keys[1]), now=T0)
    refreshed = []

    async def refresh(key_id: str) -> str:
        refreshed.append(key_id)
        return other_keys[1]

    assert (
        await verify_request(
            cfg, "POST", "/inbox", headers, b"{}", _fixed(keys[1]), refresh_key=refresh, now=T0
        )
        == KEY_ID
    )
    assert refreshed == [KEY_ID]
    with pytest.raises(SignatureError, match="no public key"):
        await verify_request(cfg, "POST", "/inbox", headers, b"{}", _fixed(None), now=T0)


async def test_starlette_headers_and_authorization_form__accepted(cfg, keys):
    signed = sign_headers("POST", "https://chaupal.test/inbox", b"{}", KEY_ID, keys[0], now=T0)
    raw = [(k.lower().encode(), v.encode()) for k, v in signed.items()]
    assert (
        await verify_request(
            cfg, "POST", "/inbox", Headers(raw=raw), b"{}", _fixed(keys[1]), now=T0
        )
        == KEY_ID
    )
    signed["Authorization"] = "Signature " + signed.pop("Signature")
    assert (
        await verify_request(cfg, "POST", "/inbox", signed, b"{}", _fixed(keys[1]), now=T0)
        == KEY_ID
    )


async def test_rfc9421__path_and_authority_form_and_get(cfg, keys):
    url = "https://chaupal.test/users/alice/inbox"
    headers = sign_headers_rfc9421(
        "POST",
        url,
        b"{}",
        KEY_ID,
        keys[0],
        now=T0,
        components=["@method", "@path", "@authority", "content-digest"],
    )
    assert (
        await verify_request(
            cfg, "POST", "/users/alice/inbox", headers, b"{}", _fixed(keys[1]), now=T0
        )
        == KEY_ID
    )
    get = sign_headers_rfc9421(
        "GET", "https://chaupal.test/users/alice", None, KEY_ID, keys[0], now=T0
    )
    assert (
        await verify_request(cfg, "GET", "/users/alice", get, None, _fixed(keys[1]), now=T0)
        == KEY_ID
    )
    with pytest.raises(SignatureError, match="does not verify"):
        await verify_request(cfg, "GET", "/users/bob", get, None, _fixed(keys[1]), now=T0)


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "chaupal.test"},
        {"Signature": 'keyId="k",headers="date",signature="AA=="'},
        {"Host": "chaupal.test", "Signature": "garbage"},
        {"Host": "chaupal.test", "Signature": 'keyId="k",signature="AA==",keyId="j"'},
        {
            "Host": "chaupal.test",
            "Signature": 'keyId="k",headers="(request-target) host date",signature="!!"',
            "Date": "yesterday",
        },
        {
            "Host": "chaupal.test",
            "Signature": 'keyId="k",headers="(request-target) host (created)",signature="AA=="',
        },
        {
            "Host": "chaupal.test",
            "Signature": 'keyId="k",headers="(request-target) host date host",signature="AA=="',
        },
        {"Host": "chaupal.test", "Signature-Input": "sig1=(", "Signature": "sig1=:AA==:"},
        {
            "Host": "chaupal.test",
            "Signature-Input": 'sig1=("@method");keyid="k"',
            "Signature": "sig1=:AA==:",
        },
        {
            "Host": "chaupal.test",
            "Signature-Input": 'a=("@method");created=1, b=("@method");created=1',
            "Signature": "a=:AA==:",
        },
        {
            "Host": "chaupal.test",
            "Signature-Input": 'sig1=("@method" "@target-uri");created=1800000000;keyid="k";alg="ed25519"',
            "Signature": "sig1=:AA==:",
        },
        {
            "Host": "chaupal.test",
            "Signature-Input": 'sig1=("@method" "@target-uri" "@weird");created=1800000000;keyid="k"',
            "Signature": "sig1=:AA==:",
        },
        {
            "Host": "chaupal.test",
            "Signature-Input": 'sig1=("@method" "@target-uri");created=1800000000;keyid="k"',
            "Signature": "sig2=:AA==:",
        },
    ],
)
async def test_malformed_or_incomplete__signature_error(cfg, keys, headers):
    with pytest.raises(SignatureError):
        await verify_request(cfg, "GET", "/users/alice", headers, b"", _fixed(keys[1]), now=T0)
