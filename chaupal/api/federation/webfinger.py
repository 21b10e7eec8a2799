"""WebFinger (RFC 7033) as Mastodon answers it: `acct:user@domain`, `user@domain` or the
actor/profile URL of a local account -> its JRD with the profile page, the ActivityPub actor,
the avatar and a subscribe template."""

from __future__ import annotations

import mimetypes
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.api.federation.common import local_account
from chaupal.config import Settings
from chaupal.errors import ApiError, not_found
from chaupal.federation import instance_actor
from chaupal.federation.hosts import normalize_host
from chaupal.federation.keys import actor_uri
from chaupal.federation.render import profile_url
from chaupal.models import Account

router = APIRouter()
JRD_CONTENT_TYPE = "application/jrd+json; charset=utf-8"
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
AVATAR = "http://webfinger.net/rel/avatar"
SUBSCRIBE = "http://ostatus.org/schema/1.0/subscribe"


def _is_local_host(settings: Settings, host: str) -> bool:
    try:
        return normalize_host(host) == normalize_host(settings.domain)
    except ValueError:
        return False


def username_of(settings: Settings, resource: str) -> str | None:
    """The local username a resource names, or None when it names nothing of ours."""
    resource = unquote(resource.strip())
    if resource.lower().startswith(("https://", "http://")):
        parts = urlsplit(resource)
        if not _is_local_host(settings, parts.netloc):
            return None
        path = parts.path.rstrip("/")
        for prefix in ("/users/", "/@"):
            if path.startswith(prefix) and "/" not in path[len(prefix) :]:
                return path[len(prefix) :] or None
        return None
    if resource.lower().startswith("acct:"):
        resource = resource[5:]
    user, sep, host = resource.lstrip("@").rpartition("@")
    if not sep or not user or not _is_local_host(settings, host):
        return None
    return user


def jrd(settings: Settings, account: Account) -> dict[str, object]:
    actor = actor_uri(settings, account)
    page = profile_url(settings, account)
    links: list[dict[str, str]] = [
        {"rel": PROFILE_PAGE, "type": "text/html", "href": page},
        {"rel": "self", "type": "application/activity+json", "href": actor},
        {"rel": SUBSCRIBE, "template": f"{settings.base_url}/search?q={{uri}}"},
    ]
    if account.avatar_path:
        media_type = mimetypes.guess_type(account.avatar_path)[0] or "image/png"
        links.append(
            {
                "rel": AVATAR,
                "type": media_type,
                "href": f"{settings.base_url}/system/{account.avatar_path}",
            }
        )
    return {
        "subject": f"acct:{account.username}@{settings.domain}",
        "aliases": [page, actor],
        "links": links,
    }


@router.get("/.well-known/webfinger")
async def webfinger(session: SessionDep, settings: SettingsDep, resource: str = "") -> JSONResponse:
    if not resource.strip():
        raise ApiError(400, "resource parameter is required")
    username = username_of(settings, resource)
    if username is None:
        raise not_found()
    if username.lower() == instance_actor.preferred_username(settings).lower():
        return JSONResponse(  # acct:{domain}@{domain}: the instance actor, as Mastodon's
            instance_actor.jrd(settings),
            media_type=JRD_CONTENT_TYPE,
            headers={"Access-Control-Allow-Origin": "*", "Vary": "Accept"},
        )
    account = await local_account(session, username)
    if account.suspended_at is not None:
        raise ApiError(410, "Account is suspended")
    return JSONResponse(
        jrd(settings, account),
        media_type=JRD_CONTENT_TYPE,
        headers={"Access-Control-Allow-Origin": "*", "Vary": "Accept"},
    )
