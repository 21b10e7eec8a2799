"""Acceptance for verification against the real `chaupal serve`: a moderator (made with the real
CLI, signed in through OAuth) grants verification, Mastodon.py sees it in the account's
`chaupal` object and the history lists it; revoking removes it; a look-alike sign-up is flagged."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from mastodon import Mastodon

from tests.e2e.browser import authorize
from tests.e2e.conftest import Server
from tests.e2e.entities import RecordingSession, assert_entity

PASSWORD = "correct horse battery staple"
OOB = "urn:ietf:wg:oauth:2.0:oob"
ADMIN = "/api/chaupal/v1/admin"
STAFF_SCOPES = "read write follow admin:read admin:write"


def staff_token(server: Server, username: str) -> str:
    done = server.cli("admin", "create-account", username, "--email", f"{username}@example.org",
                      "--password", PASSWORD, "--role", "moderator")
    assert done.returncode == 0, done.stdout + done.stderr
    app = httpx.post(f"{server.url}/api/v1/apps", data={
        "client_name": "gov-e2e", "redirect_uris": OOB, "scopes": STAFF_SCOPES}).json()
    url = f"{server.url}/oauth/authorize?" + str(httpx.QueryParams({
        "client_id": app["client_id"], "redirect_uri": OOB, "response_type": "code", "scope": STAFF_SCOPES}))
    code = authorize(url, username, PASSWORD).code
    token = httpx.post(f"{server.url}/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": app["client_id"],
        "client_secret": app["client_secret"], "redirect_uri": OOB}).json()
    return str(token["access_token"])


def test_moderator_grants_and_revokes__mastodon_py_sees_it__lookalike_flagged(e2e_server: Server) -> None:
    base = e2e_server.url
    suffix = uuid.uuid4().hex[:6]
    mod = {"Authorization": f"Bearer {staff_token(e2e_server, f'mod{suffix}')}"}

    def admin(method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{base}{ADMIN}{path}", headers=mod, timeout=30, **kwargs)

    r = admin("POST", "/institutions", json={
        "username": f"PMOIndia{suffix}", "display_name": "Prime Minister's Office", "category": "office",
        "jurisdiction": "India"})
    assert r.status_code == 200, r.text
    pmo_id = r.json()["id"]
    r = admin("POST", f"/accounts/{pmo_id}/verification", json={"type": "government", "evidence": "Gazette 2024/117"})
    assert r.status_code == 200, r.text

    api = Mastodon(api_base_url=base, version_check_mode="none", session=RecordingSession())
    account = assert_entity(api.account(pmo_id), "Account")
    assert account["chaupal"]["kind"] == "institution"
    assert account["chaupal"]["verification"]["type"] == "government"
    assert account["chaupal"]["institution"]["path"][-1]["acct"] == f"PMOIndia{suffix}"
    looked = assert_entity(api.account_lookup(f"PMOIndia{suffix}"), "Account")
    assert looked["chaupal"]["verification"]["type"] == "government"

    history = admin("GET", f"/accounts/{pmo_id}/verification").json()
    assert [(e["action"], e["type"], e["evidence"]) for e in history] == [("grant", "government", "Gazette 2024/117")]
    assert history[0]["moderator"]["acct"] == f"mod{suffix}"

    # A sign-up imitating the verified name (lower-case L for I, underscore) is flagged.
    client_id, client_secret = Mastodon.create_app(
        "gov-e2e-signup", scopes=["read", "write"], api_base_url=base, session=RecordingSession())
    fake = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base,
                    version_check_mode="none", session=RecordingSession())
    fake.create_account(f"PMO_lndia{suffix}", PASSWORD, f"fake{suffix}@example.org", agreement=True,
                        locale="en", scopes=["read", "write"])
    me = assert_entity(fake.account_verify_credentials(), "CredentialAccount")
    assert me["chaupal"] == {"kind": "person", "verification": None, "institution": None,
                             "offices": {"holds": [], "held_by": []}}
    flags = [f for f in admin("GET", "/flags").json() if f["related_account"]["id"] == pmo_id]
    assert [f["account"]["id"] for f in flags] == [str(me["id"])]
    assert flags[0]["kind"] == "impersonation"
    # Non-staff may not see them.
    assert httpx.get(f"{base}{ADMIN}/flags", headers={"Authorization": f"Bearer {fake.access_token}"}).status_code == 403

    r = admin("DELETE", f"/accounts/{pmo_id}/verification", json={"evidence": "test over"})
    assert r.status_code == 200, r.text
    account = assert_entity(api.account(pmo_id), "Account")
    assert account["chaupal"]["verification"] is None
    history = admin("GET", f"/accounts/{pmo_id}/verification").json()
    assert [e["action"] for e in history] == ["revoke", "grant"]
