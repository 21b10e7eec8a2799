"""Account, CredentialAccount and Relationship entities."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.db import utcnow
from chaupal.media.storage import media_base_url
from chaupal.models import Account, Block, Follow, FollowRequest, Mute, User
from chaupal.render import iso


def account_url(settings: Settings, account: Account) -> str:
    return account.url or f"{settings.base_url}/@{account.username}"


def account_uri(settings: Settings, account: Account) -> str:
    return account.uri or f"{settings.base_url}/users/{account.username}"


def _remote_image(settings: Settings, cached: str | None, remote: str | None) -> str | None:
    """A remote account's avatar/header: our cached copy (a media storage key), else the
    remote URL (chaupal.federation.media_cache)."""
    return f"{media_base_url(settings)}/{cached}" if cached else remote


def avatar_url(settings: Settings, account: Account) -> str:
    if account.domain:
        remote = _remote_image(settings, account.avatar_path, account.avatar_remote_url)
        return remote or f"{settings.base_url}/static/avatar-missing.png"
    if account.avatar_path:
        return f"{settings.base_url}/system/{account.avatar_path}"
    return f"{settings.base_url}/static/avatar-missing.png"


def header_url(settings: Settings, account: Account) -> str:
    if account.domain:
        remote = _remote_image(settings, account.header_path, account.header_remote_url)
        return remote or f"{settings.base_url}/static/header-missing.png"
    if account.header_path:
        return f"{settings.base_url}/system/{account.header_path}"
    return f"{settings.base_url}/static/header-missing.png"


def render_account(settings: Settings, account: Account) -> dict[str, Any]:
    """One Account entity. Needs nothing but the row, so it is cheap to call in loops."""
    avatar = avatar_url(settings, account)
    header = header_url(settings, account)
    created = account.created_at.replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "id": str(account.id),
        "username": account.username,
        "acct": account.acct,
        "url": account_url(settings, account),
        "uri": account_uri(settings, account),
        "display_name": account.display_name,
        "note": account.note_html,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "locked": account.locked,
        "fields": [
            {"name": f.get("name", ""), "value": f.get("value_html", f.get("value", "")),
             "verified_at": f.get("verified_at")}
            for f in (account.fields or [])
        ],
        "emojis": [],
        "bot": account.bot,
        "group": False,
        "discoverable": account.discoverable,
        "indexable": account.indexable,
        "hide_collections": account.hide_collections,
        "noindex": False,
        "suspended": account.suspended_at is not None or None,
        "limited": None,
        "created_at": iso(created),
        "last_status_at": account.last_status_at.date().isoformat() if account.last_status_at else None,
        "statuses_count": account.statuses_count,
        "followers_count": account.followers_count,
        "following_count": account.following_count,
        "roles": [],
        "chaupal": chaupal_summary(account),
    }


def chaupal_summary(account: Account) -> dict[str, Any]:
    """Chaupal's additions every Account entity carries, read from the row alone."""
    return {
        "kind": account.kind,
        "verification": {"type": account.verification, "verified_at": iso(account.verified_at)}
        if account.verification
        else None,
    }


def render_credential_account(
    settings: Settings, account: Account, user: User, follow_requests_count: int
) -> dict[str, Any]:
    """CredentialAccount: the caller's own account with `source` and `role`."""
    data = render_account(settings, account)
    data["source"] = {
        "privacy": user.default_visibility,
        "sensitive": user.default_sensitive,
        "language": user.default_language or "",
        "note": account.note,
        "fields": [
            {"name": f.get("name", ""), "value": f.get("value", ""), "verified_at": f.get("verified_at")}
            for f in (account.fields or [])
        ],
        "follow_requests_count": follow_requests_count,
        "hide_collections": account.hide_collections,
        "discoverable": account.discoverable,
        "indexable": account.indexable,
    }
    data["role"] = {
        "id": {"user": "-99", "moderator": "2", "admin": "3"}.get(user.role, "-99"),
        "name": user.role.capitalize() if user.role != "user" else "",
        "color": "",
        "permissions": {"user": "0", "moderator": "1308", "admin": "1"}.get(user.role, "0"),
        "highlighted": user.role != "user",
    }
    return data


async def render_relationships(
    session: AsyncSession, viewer: Account, targets: list[int]
) -> list[dict[str, Any]]:
    """Relationship entities from the viewer to each target, in the order given."""
    ids = list(dict.fromkeys(targets))
    if not ids:
        return []

    async def edge_rows(model: Any, forward: bool, *extra: Any) -> dict[int, Any]:
        if forward:
            stmt = select(model).where(
                model.account_id == viewer.id, model.target_account_id.in_(ids), *extra
            )
            return {r.target_account_id: r for r in (await session.scalars(stmt)).all()}
        stmt = select(model).where(model.target_account_id == viewer.id, model.account_id.in_(ids))
        return {r.account_id: r for r in (await session.scalars(stmt)).all()}

    following = await edge_rows(Follow, True)
    followed_by = await edge_rows(Follow, False)
    requested = await edge_rows(FollowRequest, True)
    requested_by = await edge_rows(FollowRequest, False)
    blocking = await edge_rows(Block, True)
    blocked_by = await edge_rows(Block, False)
    # An expired mute no longer applies, so it is not reported either.
    muting = await edge_rows(Mute, True, or_(Mute.expires_at.is_(None), Mute.expires_at > utcnow()))
    out = []
    for tid in ids:
        follow = following.get(tid) or requested.get(tid)
        mute = muting.get(tid)
        out.append(
            {
                "id": str(tid),
                "following": tid in following,
                "showing_reblogs": bool(follow.show_reblogs) if follow else False,
                "notifying": bool(follow.notify) if follow else False,
                "languages": follow.languages if follow else None,
                "followed_by": tid in followed_by,
                "blocking": tid in blocking,
                "blocked_by": tid in blocked_by,
                "muting": mute is not None,
                "muting_notifications": bool(mute.hide_notifications) if mute else False,
                "muting_expires_at": iso(mute.expires_at) if mute else None,
                "requested": tid in requested,
                "requested_by": tid in requested_by,
                "domain_blocking": False,
                "endorsed": False,
                "note": "",
            }
        )
    return out


async def add_moved(session: AsyncSession, settings: Settings, data: dict[str, Any], account: Account) -> None:
    """Mastodon's `moved`: the Account the account moved to, when it has (one query)."""
    if account.moved_to_account_id is None:
        return
    target = await session.get(Account, account.moved_to_account_id)
    if target is not None:
        data["moved"] = render_account(settings, target)
