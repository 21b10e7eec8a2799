"""Helpers that drive the OAuth and sign-in flows through plain HTTP, as a browser would."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

OOB = "urn:ietf:wg:oauth:2.0:oob"


def csrf_from(page: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m, "no csrf_token in the page"
    return m.group(1)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


async def register_app(
    client: httpx.AsyncClient,
    *,
    redirect_uris: str | list[str] = "https://app.example/cb",
    scopes: str = "read write follow push",
    name: str = "Test app",
) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/apps",
        json={"client_name": name, "redirect_uris": redirect_uris, "scopes": scopes},
    )
    assert r.status_code == 200, r.text
    return r.json()


async def sign_in(client: httpx.AsyncClient, login: str, password: str = "password123") -> httpx.Response:
    page = await client.get("/auth/sign_in", params={"next": "/"})
    assert page.status_code == 200
    return await client.post(
        "/auth/sign_in",
        data={"username": login, "password": password, "next": "/", "csrf_token": csrf_from(page.text)},
    )


async def authorize(
    client: httpx.AsyncClient,
    app: dict[str, Any],
    *,
    redirect_uri: str | None = None,
    scope: str = "read write follow push",
    state: str | None = "xyz",
    challenge: str | None = None,
    decision: str = "approve",
) -> httpx.Response:
    """GET the consent page (already signed in), then POST the decision; returns the POST."""
    params: dict[str, str] = {
        "client_id": app["client_id"],
        "redirect_uri": redirect_uri or app["redirect_uris"][0],
        "response_type": "code",
        "scope": scope,
    }
    if state:
        params["state"] = state
    if challenge:
        params["code_challenge"] = challenge
        params["code_challenge_method"] = "S256"
    page = await client.get("/oauth/authorize", params=params)
    assert page.status_code == 200, page.text
    assert 'value="approve"' in page.text
    form = {
        k: html.unescape(v)
        for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
    }
    form["decision"] = decision
    return await client.post("/oauth/authorize", data=form)


def browser(app: Any) -> httpx.AsyncClient:
    """A second, independent cookie jar against the same app."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.2", 23456))
    return httpx.AsyncClient(transport=transport, base_url="http://chaupal.test")


def code_from(response: httpx.Response) -> str:
    if response.status_code == 302:
        return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    m = re.search(r'id="authorization-code">([^<]+)<', response.text)
    assert m, response.text
    return m.group(1)


async def get_code(client: httpx.AsyncClient, app: dict[str, Any], **kw: Any) -> str:
    r = await authorize(client, app, **kw)
    assert r.status_code in (200, 302), r.text
    return code_from(r)
