"""Registering OAuth applications (Mastodon's POST /api/v1/apps): name, redirect URIs, scopes."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from chaupal.config import Settings
from chaupal.errors import unprocessable
from chaupal.models import Application
from chaupal.security import new_secret, parse_scopes

OOB = "urn:ietf:wg:oauth:2.0:oob"


def check_redirect_uri(settings: Settings, uri: str) -> str:
    uri = uri.strip()
    if len(uri) > settings.max_redirect_uri_chars:
        raise unprocessable(
            f"redirect_uri is too long (maximum is {settings.max_redirect_uri_chars} characters)"
        )
    if uri == OOB:
        return uri
    parts = urlsplit(uri)
    if not parts.scheme or parts.fragment or any(c.isspace() for c in uri):
        raise unprocessable("redirect_uri must be an absolute URI without a fragment")
    if parts.scheme in ("http", "https") and not parts.netloc:
        raise unprocessable("redirect_uri must be an absolute URI without a fragment")
    if parts.scheme.lower() in ("javascript", "data", "vbscript", "file"):
        raise unprocessable("redirect_uri uses a forbidden scheme")
    return uri


async def check_create_application(
    session: AsyncSession,
    settings: Settings,
    *,
    name: str,
    redirect_uris: str | list[str],
    scopes: str | None,
    website: str | None = None,
) -> Application:
    name = (name or "").strip()
    if not name:
        raise unprocessable("client_name can't be blank")
    if any("\x00" in (x or "") for x in (name, website, scopes, *list(redirect_uris or []))):
        raise unprocessable("parameters must not contain NUL characters")
    if len(name) > settings.max_app_name_chars:
        raise unprocessable(f"client_name is too long (maximum is {settings.max_app_name_chars} characters)")
    raw = redirect_uris if isinstance(redirect_uris, list) else (redirect_uris or "").split("\n")
    uris = list(dict.fromkeys(u.strip() for u in raw if u and u.strip()))
    if not uris:
        raise unprocessable("redirect_uris can't be blank")
    uris = [check_redirect_uri(settings, u) for u in uris]
    try:
        scope_list = parse_scopes(scopes)
    except ValueError as exc:
        raise unprocessable(f"scopes: {exc}") from None
    website = (website or "").strip() or None
    if website is not None:
        if len(website) > settings.max_redirect_uri_chars:
            raise unprocessable(f"website is too long (maximum is {settings.max_redirect_uri_chars} characters)")
        if urlsplit(website).scheme not in ("http", "https") or not urlsplit(website).netloc:
            raise unprocessable("website must be an http(s) URL")
    return await do_create_application(
        session, name=name, redirect_uris=uris, scopes=scope_list, website=website
    )


async def do_create_application(
    session: AsyncSession, *, name: str, redirect_uris: list[str], scopes: list[str], website: str | None
) -> Application:
    app = Application(
        name=name,
        website=website,
        redirect_uris="\n".join(redirect_uris),
        scopes=" ".join(scopes),
        client_id=new_secret(32)[:43],
        client_secret=new_secret(32)[:43],
    )
    session.add(app)
    await session.flush()
    return app
