"""RSA key pairs of local actors: made on first need (an account that never federates never
pays for one), stored PEM-encoded on the account; `key_id` is `{actor}#main-key` as Mastodon's."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.models import Account

KEY_BITS = 2048  # Mastodon's size; 4096 costs ~8x more per signature


def actor_uri(settings: Settings, account: Account) -> str:
    """The ActivityPub id of an account: its stored URI (remote) or `/users/{username}` (local)."""
    return account.uri or f"{settings.base_url}/users/{account.username}"


def key_id(settings: Settings, account: Account) -> str:
    return account.key_id or f"{actor_uri(settings, account)}#main-key"


def generate_keypair() -> tuple[str, str]:
    """(private PEM, public PEM) of a new RSA key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


async def ensure_keypair(session: AsyncSession, account: Account) -> None:
    """Give a local account its key pair if it has none yet (flushed, committed by the caller)."""
    if not account.local:
        raise ValueError("only local accounts have private keys")
    if account.private_key and account.public_key:
        return
    account.private_key, account.public_key = generate_keypair()
    await session.flush()
