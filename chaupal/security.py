"""Passwords (argon2id), random secrets and their digests, and OAuth scope rules."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Scopes Mastodon documents; the legacy `follow` scope grants the relationship scopes, and a
# broad scope (`read`, `write`, `admin:read`, `admin:write`) grants each granular one under it.
TOP_SCOPES = ("read", "write", "follow", "push", "profile", "admin:read", "admin:write")
GRANULAR = {
    "read": (
        "accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "lists",
        "mutes", "notifications", "search", "statuses",
    ),
    "write": (
        "accounts", "blocks", "bookmarks", "conversations", "favourites", "filters", "follows",
        "lists", "media", "mutes", "notifications", "reports", "statuses",
    ),
    **{
        admin: (
            "accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks",
            "email_domain_blocks", "canonical_email_blocks",
        )
        for admin in ("admin:read", "admin:write")
    },
}
FOLLOW_GRANTS = frozenset(
    {"read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes"}
)
ALL_SCOPES = frozenset(
    list(TOP_SCOPES) + [f"{top}:{name}" for top, names in GRANULAR.items() for name in names]
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_scopes(raw: str | None, default: str = "read") -> list[str]:
    """Split a space-separated (or '+'/comma-separated) scope string; unknown scopes raise."""
    text = (raw or default).replace("+", " ").replace(",", " ")
    scopes = list(dict.fromkeys(s for s in text.split() if s))
    unknown = [s for s in scopes if s not in ALL_SCOPES]
    if unknown:
        raise ValueError(f"unknown scope: {unknown[0]}")
    return scopes


def scope_allows(granted: set[str] | frozenset[str], required: str) -> bool:
    if required in granted:
        return True
    parent = required.rsplit(":", 1)[0]  # `admin:read:reports` -> `admin:read`
    if ":" in required and parent in GRANULAR and parent in granted:
        return True
    if required in FOLLOW_GRANTS and "follow" in granted:
        return True
    return required == "profile" and bool({"read", "read:accounts"} & set(granted))


def scopes_within(requested: list[str], allowed: list[str]) -> bool:
    """Every requested scope is allowed by the app's registered scopes."""
    allowed_set = set(allowed)
    return all(scope_allows(allowed_set, s) for s in requested)
