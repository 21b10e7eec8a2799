"""Mastodon's granular admin scopes (`admin:read:reports`, `admin:write:domain_blocks` ...):
apps may register and be authorised for them, each admin endpoint accepts its own, and
`admin:read` / `admin:write` grant every granular scope under them."""

from __future__ import annotations

from typing import Any

from chaupal.models import User
from chaupal.security import ALL_SCOPES, parse_scopes, scope_allows
from tests.web.flows import get_code, register_app, sign_in

ADMIN_NAMES = (
    "accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks", "email_domain_blocks",
    "canonical_email_blocks",
)


async def _moderator(app: Any, make_user: Any, name: str, scopes: str) -> Any:
    mod = await make_user(name, scopes=scopes)
    async with app.state.sessions() as s:
        (await s.get(User, mod.user_id)).role = "moderator"
        await s.commit()
    return mod


async def _oauth_token(client: Any, scope: str) -> dict[str, str]:
    """Register an app for `scope` alone and run the code flow (the caller is signed in)."""
    registered = await register_app(client, scopes=scope)
    assert registered["scopes"] == scope.split(), registered
    code = await get_code(client, registered, scope=scope)
    t = await client.post("/oauth/token", data={
        "client_id": registered["client_id"], "client_secret": registered["client_secret"],
        "grant_type": "authorization_code", "code": code, "redirect_uri": registered["redirect_uris"][0],
    })
    assert t.status_code == 200, t.text
    assert t.json()["scope"] == scope
    return {"Authorization": f"Bearer {t.json()['access_token']}"}


def test_scopes__every_documented_admin_scope_is_known_and_implied_by_its_parent():
    for verb in ("read", "write"):
        for name in ADMIN_NAMES:
            scope = f"admin:{verb}:{name}"
            assert scope in ALL_SCOPES and parse_scopes(scope) == [scope]
            assert scope_allows({f"admin:{verb}"}, scope)
            assert not scope_allows({scope}, f"admin:{verb}")
            assert not scope_allows({verb}, scope)  # `read` is not an admin scope
    assert not scope_allows({"admin:read"}, "admin:write:reports")
    assert not scope_allows({"admin:read:reports"}, "admin:write:reports")


async def test_admin_scopes__app_with_only_read_reports__lists_reports_not_domain_blocks(app, client, make_user):
    alice = await make_user("alice")
    await make_user("bob")
    r = await client.post("/api/v1/reports", json={"account_id": alice.account_id}, headers=(await make_user("carol")).headers)
    assert r.status_code == 200, r.text
    report_id = r.json()["id"]
    await _moderator(app, make_user, "mod", "read")
    assert (await sign_in(client, "mod")).status_code == 303
    headers = await _oauth_token(client, "admin:read:reports")

    r = await client.get("/api/v1/admin/reports", headers=headers)
    assert r.status_code == 200, r.text
    assert [x["id"] for x in r.json()] == [report_id]
    assert (await client.get(f"/api/v1/admin/reports/{report_id}", headers=headers)).status_code == 200
    for path in ("/api/v1/admin/domain_blocks", "/api/v1/admin/domain_allows", "/api/v1/admin/trends/tags"):
        r = await client.get(path, headers=headers)
        assert r.status_code == 403 and "error" in r.json(), (path, r.text)
    # read only: no resolving reports, no writing anything else
    r = await client.post(f"/api/v1/admin/reports/{report_id}/resolve", headers=headers)
    assert r.status_code == 403, r.text
    r = await client.post("/api/v1/admin/domain_blocks", data={"domain": "spam.example"}, headers=headers)
    assert r.status_code == 403, r.text


async def test_admin_scopes__granular_write__only_its_resource(app, client, make_user):
    await _moderator(app, make_user, "mod", "read")
    assert (await sign_in(client, "mod")).status_code == 303
    headers = await _oauth_token(client, "admin:read:domain_blocks admin:write:domain_blocks")
    r = await client.post("/api/v1/admin/domain_blocks", data={"domain": "spam.example"}, headers=headers)
    assert r.status_code == 200, r.text
    assert [b["domain"] for b in (await client.get("/api/v1/admin/domain_blocks", headers=headers)).json()] == ["spam.example"]
    r = await client.post("/api/v1/admin/domain_allows", data={"domain": "ok.example"}, headers=headers)
    assert r.status_code == 403, r.text
    assert (await client.get("/api/v1/admin/reports", headers=headers)).status_code == 403


async def test_admin_scopes__broad_admin_read__reads_reports_and_domain_blocks(app, client, make_user):
    mod = await _moderator(app, make_user, "mod", "admin:read")
    for path in ("/api/v1/admin/reports", "/api/v1/admin/domain_blocks", "/api/v1/admin/domain_allows"):
        r = await client.get(path, headers=mod.headers)
        assert r.status_code == 200, (path, r.text)
    r = await client.post("/api/v1/admin/domain_blocks", data={"domain": "spam.example"}, headers=mod.headers)
    assert r.status_code == 403, r.text


async def test_admin_scopes__app_registered_for_admin_read__may_be_authorised_for_a_granular_one(client, make_user):
    await make_user("mod")
    assert (await sign_in(client, "mod")).status_code == 303
    registered = await register_app(client, scopes="read admin:read")
    code = await get_code(client, registered, scope="admin:read:domain_blocks")
    t = await client.post("/oauth/token", data={
        "client_id": registered["client_id"], "client_secret": registered["client_secret"],
        "grant_type": "authorization_code", "code": code, "redirect_uri": registered["redirect_uris"][0],
    })
    assert t.status_code == 200 and t.json()["scope"] == "admin:read:domain_blocks", t.text


async def test_admin_scopes__client_credentials_and_metadata_know_them(client):
    registered = await register_app(client, scopes="read admin:read:reports")
    t = await client.post("/oauth/token", data={
        "client_id": registered["client_id"], "client_secret": registered["client_secret"],
        "grant_type": "client_credentials", "scope": "admin:read:reports",
    })
    assert t.status_code == 200 and t.json()["scope"] == "admin:read:reports", t.text
    m = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert {"admin:read:reports", "admin:write:canonical_email_blocks"} <= set(m["scopes_supported"])
    r = await client.post("/api/v1/apps", data={
        "client_name": "x", "redirect_uris": "https://app.example/cb", "scopes": "admin:read:nonsense",
    })
    assert r.status_code == 422 and "error" in r.json(), r.text
