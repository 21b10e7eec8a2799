"""What both HTTP signature formats share: the error, RSA keys (parsed once, cached), the
request target of a URL, the date window and verification with one key refresh."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from functools import lru_cache
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from chaupal.config import Settings
from chaupal.federation.hosts import normalize_host

KeyResolver = Callable[[str], Awaitable[str | None]]
DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


class SignatureError(Exception):
    """The request's signature is missing, malformed, stale, incomplete or wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- keys -------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("only RSA keys sign")
    return key


@lru_cache(maxsize=4096)
def public_key(pem: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise SignatureError("the signer's public key is unreadable") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("only RSA keys are accepted")
    return key


def rsa_sign(private_pem: str, data: bytes) -> bytes:
    return private_key(private_pem).sign(data, padding.PKCS1v15(), hashes.SHA256())


def rsa_verify(public_pem: str, signature: bytes, data: bytes) -> bool:
    try:
        public_key(public_pem).verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def request_target(url: str) -> tuple[str, str]:
    """(Host header value, path with query) of an absolute URL."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return normalize_host(url), path + (f"?{parts.query}" if parts.query else "")


def check_time(settings: Settings, moment: float, now: float, what: str) -> None:
    if moment > now + settings.federation_signature_skew_seconds:
        raise SignatureError(f"{what} is too far in the future")
    if moment < now - settings.federation_signature_max_age_seconds:
        raise SignatureError(f"{what} is too old (a replayed request?)")


async def public_pem(key_id: str, resolve_key: KeyResolver) -> str:
    pem = await resolve_key(key_id)
    if not pem:
        raise SignatureError(f"no public key for {key_id}")
    return pem


async def verify_with_refresh(
    key_id: str,
    signature: bytes,
    data: bytes,
    resolve_key: KeyResolver,
    refresh_key: KeyResolver | None,
) -> None:
    if rsa_verify(await public_pem(key_id, resolve_key), signature, data):
        return
    # The actor may have rotated its key: one fresh look from its origin, then give up.
    if refresh_key is not None and rsa_verify(
        await public_pem(key_id, refresh_key), signature, data
    ):
        return
    raise SignatureError("signature does not verify")
