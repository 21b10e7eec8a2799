"""Institution staff end to end: the real `chaupal serve` and Mastodon.py.

An owner adds an editor and an analyst; the editor gets a delegated token and posts as the
ministry from an ordinary Mastodon.py client; the audit log names the editor; the analyst gets
no token and cannot post as the ministry; removing the editor makes the very next request with
that token a 401.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonUnauthorizedError

from tests.e2e.conftest import Server
from tests.e2e.test_mastodon_py import client, register

SCOPES = ["read", "write", "follow", "push"]


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_staff_act_for_the_ministry_with_mastodon_py(e2e_server: Server) -> None:
    server = e2e_server
    sfx = uuid.uuid4().hex[:6]
    ministry_name = f"roads{sfx}"
    made = server.cli("admin", "create-institution", ministry_name, "--display-name", "Ministry of Roads",
                      "--category", "ministry")
    assert made.returncode == 0, made.stdout + made.stderr

    client_id, client_secret = Mastodon.create_app(
        "Ministry desk", scopes=SCOPES, api_base_url=server.url, session=None
    )
    owner = register(server, client_id, client_secret, f"own{sfx}")
    editor = register(server, client_id, client_secret, f"edi{sfx}")
    analyst = register(server, client_id, client_secret, f"ana{sfx}")
    ministry_id = str(owner.account_lookup(ministry_name).id)

    added = server.cli("gov", "add-member", ministry_name, f"own{sfx}", "--role", "owner")
    assert added.returncode == 0, added.stdout + added.stderr

    base = f"{server.url}/api/chaupal/v1/institutions/{ministry_id}"
    for who, role in ((f"edi{sfx}", "editor"), (f"ana{sfx}", "analyst")):
        r = httpx.post(f"{base}/members", headers=_auth(owner.access_token), json={"username": who, "role": role})
        assert r.status_code == 200, r.text

    # The editor asks for a token acting as the ministry, for the same app.
    r = httpx.post(f"{base}/token", headers=_auth(editor.access_token),
                   json={"client_id": client_id, "scopes": "read write follow"})
    assert r.status_code == 200, r.text
    assert "write:accounts" not in r.json()["scope"].split()
    as_ministry = client(server, client_id, client_secret, r.json()["access_token"])
    me = as_ministry.account_verify_credentials()
    assert me.username == ministry_name and str(me.id) == ministry_id
    status = as_ministry.status_post("Road works on NH-44 finish on Friday.")
    assert str(status.account.id) == ministry_id

    # The public sees the ministry only.
    public = httpx.get(f"{server.url}/api/v1/statuses/{status.id}")
    assert public.status_code == 200 and f"edi{sfx}" not in public.text

    # The audit log names the editor.
    log = httpx.get(f"{base}/audit", headers=_auth(owner.access_token))
    assert log.status_code == 200, log.text
    entry = next(e for e in log.json() if e["action"] == "status.create")
    assert entry["staff"]["username"] == f"edi{sfx}" and entry["object_id"] == str(status.id)
    csv_export = httpx.get(f"{base}/audit", params={"format": "csv"}, headers=_auth(owner.access_token))
    assert csv_export.status_code == 200 and f"edi{sfx}" in csv_export.text

    # The analyst gets no token, and their own token posts as themselves, never as the ministry.
    r = httpx.post(f"{base}/token", headers=_auth(analyst.access_token), json={"client_id": client_id})
    assert r.status_code == 403, r.text
    own_post = analyst.status_post("Just me")
    assert str(own_post.account.id) != ministry_id
    assert httpx.get(f"{base}/audit", headers=_auth(analyst.access_token)).status_code == 403

    # Removing the editor: the very next request with the delegated token is refused.
    editor_account_id = editor.account_verify_credentials().id
    r = httpx.delete(f"{base}/members/{editor_account_id}", headers=_auth(owner.access_token))
    assert r.status_code == 200, r.text
    with pytest.raises(MastodonUnauthorizedError):
        as_ministry.status_post("one more")
    # The editor's own account still works.
    assert editor.account_verify_credentials().username == f"edi{sfx}"
