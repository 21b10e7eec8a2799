"""Verification: moderators grant and revoke it (each with an audited event), the rules per type,
the `chaupal` object of Account entities, institutions, kinds, flags, and staff-only access."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from chaupal.api.routes import iter_routes
from chaupal.models import InstitutionProfile, VerificationEvent
from tests.gov.verification_helpers import ADMIN, make_institution, make_staff


async def _events(app, account_id: int) -> int:
    async with app.state.sessions() as s:
        return await s.scalar(
            select(func.count()).select_from(VerificationEvent).where(VerificationEvent.account_id == account_id)
        )


async def test_grant_then_revoke__account_json_and_history_follow(app, client, settings, make_user):
    mod = await make_staff(app, make_user, "mod")
    pmo = await make_institution(app, settings, "PMOIndia", "Prime Minister's Office", category="office")

    r = await client.post(
        f"{ADMIN}/accounts/{pmo}/verification",
        json={"type": "government", "evidence": "Gazette notification 2024/117"},
        headers=mod.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["chaupal"]["verification"]["type"] == "government"

    shown = (await client.get(f"/api/v1/accounts/{pmo}")).json()
    assert shown["chaupal"]["kind"] == "institution"
    assert shown["chaupal"]["verification"]["type"] == "government"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", shown["chaupal"]["verification"]["verified_at"])

    r = await client.request(
        "DELETE", f"{ADMIN}/accounts/{pmo}/verification", json={"evidence": "handed over"}, headers=mod.headers
    )
    assert r.status_code == 200, r.text
    assert (await client.get(f"/api/v1/accounts/{pmo}")).json()["chaupal"]["verification"] is None

    history = (await client.get(f"{ADMIN}/accounts/{pmo}/verification", headers=mod.headers)).json()
    assert [(e["action"], e["type"]) for e in history] == [("revoke", "government"), ("grant", "government")]
    assert history[1]["evidence"] == "Gazette notification 2024/117"
    assert history[1]["moderator"]["acct"] == "mod"


async def test_grant__blank_evidence__refused_and_nothing_written(app, client, settings, make_user):
    mod = await make_staff(app, make_user, "mod")
    pmo = await make_institution(app, settings, "PMOIndia")
    for body in ({"type": "government", "evidence": "  "}, {"type": "government"}, {"type": "gold", "evidence": "x"}):
        r = await client.post(f"{ADMIN}/accounts/{pmo}/verification", json=body, headers=mod.headers)
        assert r.status_code == 422, body
    assert await _events(app, pmo) == 0


async def test_grant__evidence_longer_than_setting__refused(app, client, settings, make_user):
    mod = await make_staff(app, make_user, "mod")
    pmo = await make_institution(app, settings, "PMOIndia")
    long = "x" * (settings.max_verification_evidence_chars + 1)
    r = await client.post(
        f"{ADMIN}/accounts/{pmo}/verification", json={"type": "government", "evidence": long}, headers=mod.headers
    )
    assert r.status_code == 422
    r = await client.post(
        f"{ADMIN}/accounts/{pmo}/verification", json={"type": "government", "evidence": long[:-1]},
        headers=mod.headers,
    )
    assert r.status_code == 200


async def test_types__each_only_for_its_kind_of_account(app, client, settings, make_user):
    mod = await make_staff(app, make_user, "mod")
    person = await make_user("narendra")
    pmo = await make_institution(app, settings, "PMOIndia", category="office")

    async def grant(account_id: int, kind: str) -> int:
        r = await client.post(
            f"{ADMIN}/accounts/{account_id}/verification", json={"type": kind, "evidence": "seen"},
            headers=mod.headers,
        )
        return r.status_code

    assert await grant(person.account_id, "government") == 422
    assert await grant(person.account_id, "official") == 422  # holds no office yet
    assert await grant(person.account_id, "organisation") == 422
    assert await grant(pmo, "official") == 422
    r = await client.post(
        f"{ADMIN}/offices",
        json={"office_id": str(pmo), "holder_id": str(person.account_id), "title": "Prime Minister",
              "role": "head_of_government", "started_on": "2024-06-09"},
        headers=mod.headers,
    )
    assert r.status_code == 200, r.text
    assert await grant(person.account_id, "official") == 200
    assert await grant(pmo, "government") == 200
    assert await grant(pmo, "organisation") == 200  # a type can be changed, with a new event
    party = await make_user("party")
    r = await client.post(f"{ADMIN}/accounts/{party.account_id}/kind", json={"kind": "party"}, headers=mod.headers)
    assert r.status_code == 200 and r.json()["chaupal"]["kind"] == "party"
    assert await grant(party.account_id, "organisation") == 200
    assert await grant(party.account_id, "notable") == 200


async def test_set_kind__would_break_verification__refused(app, client, settings, make_user):
    mod = await make_staff(app, make_user, "mod")
    media = await make_user("newsdesk")
    r = await client.post(f"{ADMIN}/accounts/{media.account_id}/kind", json={"kind": "media"}, headers=mod.headers)
    assert r.status_code == 200
    r = await client.post(
        f"{ADMIN}/accounts/{media.account_id}/verification", json={"type": "organisation", "evidence": "RNI"},
        headers=mod.headers,
    )
    assert r.status_code == 200
    r = await client.post(f"{ADMIN}/accounts/{media.account_id}/kind", json={"kind": "person"}, headers=mod.headers)
    assert r.status_code == 422
    r = await client.post(f"{ADMIN}/accounts/{media.account_id}/kind", json={"kind": "robot"}, headers=mod.headers)
    assert r.status_code == 422


async def test_revoke__not_verified__422(app, client, settings, make_user):
    mod = await make_staff(app, make_user, "mod")
    pmo = await make_institution(app, settings, "PMOIndia")
    r = await client.delete(f"{ADMIN}/accounts/{pmo}/verification", headers=mod.headers)
    assert r.status_code == 422
    assert await _events(app, pmo) == 0


async def test_account_entities__carry_chaupal_object_in_lists_too(app, client, settings, make_user):
    alice = await make_user("alice")
    pmo = await make_institution(app, settings, "PMOIndia")
    r = await client.get("/api/v1/accounts", params={"id[]": [str(pmo), str(alice.account_id)]})
    assert [a["chaupal"] for a in r.json()] == [
        {"kind": "institution", "verification": None},
        {"kind": "person", "verification": None},
    ]
    assert "institution" not in r.json()[0]["chaupal"]  # details only on single-account endpoints
    me = (await client.get("/api/v1/accounts/verify_credentials", headers=alice.headers)).json()
    assert me["chaupal"]["offices"] == {"holds": [], "held_by": []}
    assert me["chaupal"]["institution"] is None


async def test_institutions__create_update_path_and_children(app, client, settings, make_user):
    mod = await make_staff(app, make_user, "mod")
    r = await client.post(
        f"{ADMIN}/institutions",
        json={"username": "UnionGovt", "display_name": "Government of India", "category": "government",
              "jurisdiction": "India"},
        headers=mod.headers,
    )
    assert r.status_code == 200, r.text
    root = r.json()["id"]
    r = await client.post(
        f"{ADMIN}/institutions",
        json={"username": "FinMinIndia", "display_name": "Ministry of Finance", "category": "ministry",
              "parent_id": root, "jurisdiction": "India"},
        headers=mod.headers,
    )
    assert r.status_code == 200, r.text
    fin = r.json()["id"]
    r = await client.post(
        f"{ADMIN}/institutions",
        json={"username": "DeptRevenue", "display_name": "Department of Revenue", "category": "department",
              "parent_id": fin},
        headers=mod.headers,
    )
    dept = r.json()["id"]
    assert r.json()["chaupal"]["institution"]["path"] == [
        {"id": root, "acct": "UnionGovt", "display_name": "Government of India"},
        {"id": fin, "acct": "FinMinIndia", "display_name": "Ministry of Finance"},
        {"id": dept, "acct": "DeptRevenue", "display_name": "Department of Revenue"},
    ]
    looked = (await client.get("/api/v1/accounts/lookup", params={"acct": "DeptRevenue"})).json()
    assert looked["chaupal"]["institution"]["category"] == "department"

    # No cycles: the root may not move under its own grandchild.
    r = await client.patch(f"{ADMIN}/institutions/{root}", json={"parent_id": dept}, headers=mod.headers)
    assert r.status_code == 422
    r = await client.patch(
        f"{ADMIN}/institutions/{dept}", json={"jurisdiction": "Kerala", "jurisdiction_level": "state"},
        headers=mod.headers,
    )
    assert r.status_code == 200
    assert r.json()["chaupal"]["institution"]["jurisdiction"] == "Kerala"

    page = (await client.get(f"/api/chaupal/v1/institutions/{fin}")).json()
    assert page["parent"]["id"] == root and [c["id"] for c in page["children"]] == [dept]
    assert page["children_count"] == 1 and page["category"] == "ministry"
    person = await make_user("bob")
    assert (await client.get(f"/api/chaupal/v1/institutions/{person.account_id}")).status_code == 404
    async with app.state.sessions() as s:
        assert await s.get(InstitutionProfile, int(dept)) is not None


async def test_institution_jurisdiction__length_limited_by_setting(app, client, settings, make_user):
    mod = await make_staff(app, make_user, "mod")
    body = {"username": "StateGovt", "jurisdiction": "K" * (settings.max_jurisdiction_chars + 1)}
    r = await client.post(f"{ADMIN}/institutions", json=body, headers=mod.headers)
    assert r.status_code == 422
    body["jurisdiction"] = body["jurisdiction"][:-1]
    assert (await client.post(f"{ADMIN}/institutions", json=body, headers=mod.headers)).status_code == 200


async def test_institution_depth__limited_by_setting(app, client, settings, make_user):
    settings.institution_max_depth = 2
    mod = await make_staff(app, make_user, "mod")
    parent = None
    codes = []
    for i in range(4):
        body = {"username": f"Level{i}", "category": "department"}
        if parent:
            body["parent_id"] = parent
        r = await client.post(f"{ADMIN}/institutions", json=body, headers=mod.headers)
        codes.append(r.status_code)
        parent = r.json().get("id", parent)
    assert codes == [200, 200, 200, 422]


async def test_flags__listed_and_resolved(app, client, settings, make_user):
    mod = await make_staff(app, make_user, "mod")
    pmo = await make_institution(app, settings, "PMOIndia", "PMO India")
    r = await client.post(
        f"{ADMIN}/accounts/{pmo}/verification", json={"type": "government", "evidence": "gazette"},
        headers=mod.headers,
    )
    assert r.status_code == 200
    fake = await make_user("PMO_lndia")
    flags = (await client.get(f"{ADMIN}/flags", headers=mod.headers)).json()
    assert len(flags) == 1
    assert flags[0]["account"]["id"] == str(fake.account_id)
    assert flags[0]["related_account"]["id"] == str(pmo)
    r = await client.post(f"{ADMIN}/flags/{flags[0]['id']}/resolve", headers=mod.headers)
    assert r.status_code == 200 and r.json()["resolved_at"]
    assert (await client.get(f"{ADMIN}/flags", headers=mod.headers)).json() == []
    resolved = (await client.get(f"{ADMIN}/flags", params={"resolved": "true"}, headers=mod.headers)).json()
    assert [f["id"] for f in resolved] == [flags[0]["id"]]
    assert (await client.post(f"{ADMIN}/flags/{flags[0]['id']}/resolve", headers=mod.headers)).status_code == 422


async def test_every_admin_route__non_staff__403(app, client, settings, make_user):
    user = await make_user("plain", scopes="read write follow admin:read admin:write")
    mod_without_scope = await make_staff(app, make_user, "mod")
    async with app.state.sessions() as s:  # a moderator whose token lacks the admin scopes
        from chaupal.actions.tokens import do_issue_token

        _, narrow, _ = await do_issue_token(s, user_id=mod_without_scope.user_id, application_id=None, scopes="read write")
        await s.commit()
    pmo = await make_institution(app, settings, "PMOIndia")
    routes = [(m, p) for m, p in iter_routes(app) if p.startswith(ADMIN)]
    assert len(routes) >= 10
    for method, path in routes:
        url = re.sub(r"\{[^}]+\}", str(pmo), path)
        for token in (user.token, narrow):
            r = await client.request(method, url, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 403, (method, url, r.status_code, r.text)
        r = await client.request(method, url)
        assert r.status_code == 401, (method, url)
    assert await _events(app, pmo) == 0


async def test_admin_routes__admin_role_allowed(app, client, settings, make_user):
    admin = await make_staff(app, make_user, "root_admin", role="admin")
    pmo = await make_institution(app, settings, "PMOIndia")
    r = await client.post(
        f"{ADMIN}/accounts/{pmo}/verification", json={"type": "government", "evidence": "gazette"},
        headers=admin.headers,
    )
    assert r.status_code == 200
