"""Institution staff: owners list, add, re-role and remove members; the last owner stays;
site admins add the first owner; removal revokes delegated tokens and acting web sessions."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from chaupal.models import AccessToken, AuditEntry, InstitutionMember
from tests.gov.staff_world import bearer, delegate, make_institution, make_world

BASE = "/api/chaupal/v1/institutions"


async def test_owner_lists_members_with_roles(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    r = await client.get(f"{BASE}/{w.ministry_id}/members", headers=w.owner.headers)
    assert r.status_code == 200, r.text
    assert {(m["account"]["username"], m["role"]) for m in r.json()} == {
        ("owner", "owner"), ("editor", "editor"), ("analyst", "analyst")
    }


async def test_owner_adds_changes_and_removes_a_member(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    newbie = await make_user("newbie")
    r = await client.post(f"{BASE}/{w.ministry_id}/members", headers=w.owner.headers,
                          json={"username": "newbie", "role": "editor"})
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "editor" and r.json()["account"]["id"] == str(newbie.account_id)
    again = await client.post(f"{BASE}/{w.ministry_id}/members", headers=w.owner.headers,
                              json={"username": "newbie", "role": "analyst"})
    assert again.status_code == 422
    r = await client.patch(f"{BASE}/{w.ministry_id}/members/{newbie.account_id}", headers=w.owner.headers,
                           json={"role": "owner"})
    assert r.status_code == 200 and r.json()["role"] == "owner"
    r = await client.delete(f"{BASE}/{w.ministry_id}/members/{newbie.account_id}", headers=w.owner.headers)
    assert r.status_code == 200
    async with app.state.sessions() as s:
        left = await s.scalar(select(InstitutionMember).where(InstitutionMember.user_id == newbie.user_id))
        assert left is None
        actions = (await s.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert actions[-3:] == ["member.add", "member.role", "member.remove"]


async def test_bad_role_and_unknown_user_are_refused(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    r = await client.post(f"{BASE}/{w.ministry_id}/members", headers=w.owner.headers,
                          json={"username": "outsider", "role": "king"})
    assert r.status_code == 422
    r = await client.post(f"{BASE}/{w.ministry_id}/members", headers=w.owner.headers,
                          json={"username": "nobody_here", "role": "editor"})
    assert r.status_code == 404
    r = await client.patch(f"{BASE}/{w.ministry_id}/members/{w.outsider.account_id}", headers=w.owner.headers,
                           json={"role": "editor"})
    assert r.status_code == 404


async def test_last_owner_cannot_be_removed_or_downgraded(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    r = await client.delete(f"{BASE}/{w.ministry_id}/members/{w.owner.account_id}", headers=w.owner.headers)
    assert r.status_code == 422 and "last owner" in r.json()["error"]
    r = await client.patch(f"{BASE}/{w.ministry_id}/members/{w.owner.account_id}", headers=w.owner.headers,
                           json={"role": "editor"})
    assert r.status_code == 422
    # With a second owner, the first may leave.
    await client.patch(f"{BASE}/{w.ministry_id}/members/{w.editor.account_id}", headers=w.owner.headers,
                       json={"role": "owner"})
    r = await client.delete(f"{BASE}/{w.ministry_id}/members/{w.owner.account_id}", headers=w.owner.headers)
    assert r.status_code == 200


async def test_site_admin_adds_the_first_owner(client: Any, app: Any, make_user: Any) -> None:
    ministry = await make_institution(app, "dept")
    admin = await make_user("siteadmin")
    person = await make_user("person")
    async with app.state.sessions() as s:
        from chaupal.models import User

        (await s.get(User, admin.user_id)).role = "admin"  # type: ignore[union-attr]
        await s.commit()
    r = await client.post(f"{BASE}/{ministry}/members", headers=person.headers,
                          json={"username": "person", "role": "owner"})
    assert r.status_code == 403  # nobody can make themselves owner
    r = await client.post(f"{BASE}/{ministry}/members", headers=admin.headers,
                          json={"username": "person", "role": "owner"})
    assert r.status_code == 200, r.text
    r = await client.get(f"{BASE}/{ministry}/members", headers=person.headers)
    assert [m["role"] for m in r.json()] == ["owner"]


async def test_members_of_a_person_account_is_refused(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    r = await client.get(f"{BASE}/{w.outsider.account_id}/members", headers=w.owner.headers)
    assert r.status_code == 422
    r = await client.get(f"{BASE}/999999/members", headers=w.owner.headers)
    assert r.status_code == 404


async def test_memberships_lists_my_institutions_and_roles(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    r = await client.get("/api/chaupal/v1/memberships", headers=w.editor.headers)
    assert r.status_code == 200
    assert [(m["institution"]["username"], m["role"]) for m in r.json()] == [("ministry", "editor")]
    r = await client.get("/api/chaupal/v1/memberships", headers=w.outsider.headers)
    assert r.json() == []


async def test_removing_a_member_revokes_their_tokens_and_sessions_at_once(
    client: Any, app: Any, make_user: Any
) -> None:
    w = await make_world(app, client, make_user)
    token = (await delegate(client, w, w.editor)).json()["access_token"]
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status_code == 200
    r = await client.delete(f"{BASE}/{w.ministry_id}/members/{w.editor.account_id}", headers=w.owner.headers)
    assert r.status_code == 200
    r = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert r.status_code == 401
    async with app.state.sessions() as s:
        live = (await s.scalars(select(AccessToken).where(
            AccessToken.user_id == w.editor.user_id, AccessToken.acting_account_id.is_not(None),
            AccessToken.revoked_at.is_(None)))).all()
    assert live == []
    # Their own token still works: only acting for the institution ended.
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=w.editor.headers)).status_code == 200


async def test_downgrading_to_analyst_revokes_delegated_tokens(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    token = (await delegate(client, w, w.editor)).json()["access_token"]
    r = await client.patch(f"{BASE}/{w.ministry_id}/members/{w.editor.account_id}", headers=w.owner.headers,
                           json={"role": "analyst"})
    assert r.status_code == 200
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status_code == 401


async def test_cli_add_member(app: Any, settings: Any, make_user: Any, monkeypatch: Any) -> None:
    from chaupal.cli import app as cli

    ministry = await make_institution(app, "cliministry")
    await make_user("clerk")
    monkeypatch.setenv("CHAUPAL_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("CHAUPAL_DATA_DIR", str(settings.data_dir))
    args = ["gov", "add-member", "cliministry", "clerk", "--role", "owner"]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args)  # the CLI runs its own loop
    assert result.exit_code == 0, result.output
    assert "owner" in result.output
    async with app.state.sessions() as s:
        role = await s.scalar(select(InstitutionMember.role).where(
            InstitutionMember.institution_account_id == ministry))
    assert role == "owner"
    result = await asyncio.to_thread(CliRunner().invoke, cli, args)
    assert result.exit_code == 1
