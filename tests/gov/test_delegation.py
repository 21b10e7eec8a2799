"""Delegated tokens: issued to owners and editors with role-narrowed scopes, acting as the
institution through the whole Mastodon API, re-checked on every request, carried through the
OAuth "authorize as" choice and refresh; TOTP for government-verified institutions."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import select

from chaupal.actions.delegation import clip_scopes, role_allows
from chaupal.models import AccessToken, Status
from tests.gov.staff_world import bearer, delegate, enable_otp, make_world
from tests.web.flows import code_from, sign_in

BASE = "/api/chaupal/v1/institutions"


def test_clip_scopes__editor_gets_granular_writes_and_no_account_changes() -> None:
    clipped = clip_scopes(["read", "write", "follow", "push"], "editor")
    assert "read" in clipped and "write:statuses" in clipped and "write:follows" in clipped
    assert "write" not in clipped and "write:accounts" not in clipped and "push" not in clipped
    assert "write:blocks" not in clipped and "read:follows" in clipped
    assert clip_scopes(["read", "write", "admin:write"], "owner") == ["read", "write"]
    assert clip_scopes(["read"], "analyst") == []
    assert not role_allows("owner", "admin:read:accounts")


async def test_editor_token_acts_as_the_institution(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    r = await delegate(client, w, w.editor)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["chaupal"] == {"acting_account_id": str(w.ministry_id), "role": "editor"}
    assert "write:accounts" not in body["scope"].split() and "write:statuses" in body["scope"].split()
    token = body["access_token"]
    me = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert me.status_code == 200 and me.json()["id"] == str(w.ministry_id)
    post = await client.post("/api/v1/statuses", headers=bearer(token), json={"status": "Official notice"})
    assert post.status_code == 200, post.text
    assert post.json()["account"]["id"] == str(w.ministry_id)
    # The public sees the institution only.
    assert "editor" not in post.text
    async with app.state.sessions() as s:
        row = await s.get(Status, int(post.json()["id"]))
        assert row is not None and row.account_id == w.ministry_id
        tok = await s.scalar(select(AccessToken).where(AccessToken.acting_account_id == w.ministry_id))
        assert tok is not None and tok.user_id == w.editor.user_id


async def test_owner_token_has_everything_but_admin(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    r = await delegate(client, w, w.owner, scopes="read write follow")
    assert r.status_code == 200
    assert set(r.json()["scope"].split()) == {"read", "write", "follow"}
    token = r.json()["access_token"]
    r = await client.patch("/api/v1/accounts/update_credentials", headers=bearer(token),
                           json={"display_name": "Ministry of Roads"})
    assert r.status_code == 200 and r.json()["display_name"] == "Ministry of Roads"


async def test_analyst_and_outsider_get_no_token(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    r = await delegate(client, w, w.analyst)
    assert r.status_code == 403 and "Analyst" in r.json()["error"]
    r = await delegate(client, w, w.outsider)
    assert r.status_code == 403


async def test_token_request_is_validated(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    url = f"{BASE}/{w.ministry_id}/token"
    r = await client.post(url, headers=w.editor.headers, json={"client_id": "nope", "scopes": "read"})
    assert r.status_code == 422
    r = await client.post(url, headers=w.editor.headers, json={"client_id": w.client_id, "scopes": "fly"})
    assert r.status_code == 422
    r = await client.post(url, headers=w.editor.headers, json={"client_id": w.client_id, "scopes": "admin:read"})
    assert r.status_code == 422  # beyond what the app registered
    r = await client.post(url, headers=w.editor.headers, json={"client_id": w.client_id, "scopes": ["read"]})
    assert r.status_code == 422
    # A read-only token cannot mint a token that writes.
    reader = await make_user("reader", scopes="read")
    from tests.gov.staff_world import add_member

    await add_member(app, w.ministry_id, "reader", "editor")
    r = await client.post(url, headers=reader.headers, json={"client_id": w.client_id, "scopes": "write"})
    assert r.status_code == 403
    r = await client.post(url, headers=w.editor.headers)
    assert r.status_code == 422


async def test_delegated_token_cannot_mint_or_manage(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    token = (await delegate(client, w, w.owner, scopes="read write follow")).json()["access_token"]
    for method, path in (("GET", f"{BASE}/{w.ministry_id}/members"), ("GET", "/api/chaupal/v1/memberships"),
                         ("POST", f"{BASE}/{w.ministry_id}/token"), ("GET", "/api/chaupal/v1/otp")):
        r = await client.request(method, path, headers=bearer(token), json={"client_id": w.client_id})
        assert r.status_code == 403, (method, path, r.text)


async def test_lowering_the_role_narrows_a_live_token(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    await client.patch(f"{BASE}/{w.ministry_id}/members/{w.editor.account_id}", headers=w.owner.headers,
                       json={"role": "owner"})
    token = (await delegate(client, w, w.editor, scopes="read write")).json()["access_token"]
    await client.patch(f"{BASE}/{w.ministry_id}/members/{w.editor.account_id}", headers=w.owner.headers,
                       json={"role": "editor"})
    r = await client.patch("/api/v1/accounts/update_credentials", headers=bearer(token), json={"note": "x"})
    assert r.status_code == 403
    r = await client.post("/api/v1/statuses", headers=bearer(token), json={"status": "still editing"})
    assert r.status_code == 200


async def test_suspended_institution_token_is_refused(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    token = (await delegate(client, w, w.editor)).json()["access_token"]
    async with app.state.sessions() as s:
        from chaupal.db import utcnow
        from chaupal.models import Account

        (await s.get(Account, w.ministry_id)).suspended_at = utcnow()  # type: ignore[union-attr]
        await s.commit()
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status_code == 401


async def test_government_institution_needs_totp_and_a_code(client: Any, app: Any, make_user: Any, settings: Any) -> None:
    settings.otp_valid_window = 4
    w = await make_world(app, client, make_user, verification="government")
    r = await delegate(client, w, w.editor)
    assert r.status_code == 403 and "Two-factor" in r.json()["error"]
    codes = await enable_otp(client, w.editor)
    r = await delegate(client, w, w.editor)
    assert r.status_code == 403 and "otp" in r.json()["error"]
    r = await delegate(client, w, w.editor, otp="000000" if codes.totp.now() != "000000" else "111111")
    assert r.status_code == 403
    r = await delegate(client, w, w.editor, otp=codes.next())
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status_code == 200
    # Turning TOTP off ends acting for the government account.
    r = await client.post("/api/chaupal/v1/otp/disable", headers=w.editor.headers, json={"code": codes.next()})
    assert r.status_code == 200, r.text
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status_code == 401


async def _authorize_as(client: Any, w: Any, acting: str, scope: str = "read write follow") -> Any:
    params = {"client_id": w.client_id, "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
              "response_type": "code", "scope": scope}
    page = await client.get("/oauth/authorize", params=params)
    assert page.status_code == 200 and "Authorize as" in page.text
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    form = {k: html.unescape(v) for k, v in form.items()}
    form.update(decision="approve", acting_account_id=acting)
    return await client.post("/oauth/authorize", data=form)


async def test_oauth_authorize_as_the_institution(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    assert (await sign_in(client, "editor")).status_code == 303
    r = await _authorize_as(client, w, str(w.ministry_id))
    code = code_from(r)
    tok = await client.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": w.client_id,
        "client_secret": w.client_secret, "redirect_uri": "urn:ietf:wg:oauth:2.0:oob"})
    assert tok.status_code == 200, tok.text
    assert "write:accounts" not in tok.json()["scope"] and "write:statuses" in tok.json()["scope"]
    me = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(tok.json()["access_token"]))
    assert me.json()["id"] == str(w.ministry_id)
    # The refreshed token still acts as the institution...
    ref = await client.post("/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": tok.json()["refresh_token"],
        "client_id": w.client_id, "client_secret": w.client_secret})
    assert ref.status_code == 200, ref.text
    me = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(ref.json()["access_token"]))
    assert me.json()["id"] == str(w.ministry_id)
    # ... until the membership ends: then refreshing fails too.
    await client.delete(f"{BASE}/{w.ministry_id}/members/{w.editor.account_id}", headers=w.owner.headers)
    ref2 = await client.post("/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": ref.json()["refresh_token"],
        "client_id": w.client_id, "client_secret": w.client_secret})
    assert ref2.status_code == 400


async def test_oauth_authorize_as_yourself_by_default(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    await sign_in(client, "editor")
    code = code_from(await _authorize_as(client, w, ""))
    tok = await client.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": w.client_id,
        "client_secret": w.client_secret, "redirect_uri": "urn:ietf:wg:oauth:2.0:oob"})
    me = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(tok.json()["access_token"]))
    assert me.json()["id"] == str(w.editor.account_id)


async def test_oauth_authorize_as_refused_for_analyst_and_code_dies_with_membership(
    client: Any, app: Any, make_user: Any
) -> None:
    w = await make_world(app, client, make_user)
    await sign_in(client, "analyst")
    params = {"client_id": w.client_id, "redirect_uri": "urn:ietf:wg:oauth:2.0:oob", "response_type": "code",
              "scope": "read"}
    page = await client.get("/oauth/authorize", params=params)
    assert "Authorize as" not in page.text  # analysts are offered only themselves
    form = {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)}
    form.update(decision="approve", acting_account_id=str(w.ministry_id))
    r = await client.post("/oauth/authorize", data=form)
    assert r.status_code == 403
