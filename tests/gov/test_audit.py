"""The audit trail: everything done as an institution (API and web) names the staff member,
in the same transaction; owners read and export it; the public never sees who it was."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import func, select

from chaupal.models import AuditEntry, Status
from tests.gov.staff_world import bearer, delegate, make_world
from tests.web.flows import csrf_from, sign_in

BASE = "/api/chaupal/v1/institutions"


async def _entries(app: Any, ministry: int) -> list[AuditEntry]:
    async with app.state.sessions() as s:
        return list((await s.scalars(select(AuditEntry).where(
            AuditEntry.institution_account_id == ministry).order_by(AuditEntry.id))).all())


async def test_every_kind_of_action_through_the_api_is_logged(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    citizen = await make_user("citizen")
    token = (await delegate(client, w, w.editor)).json()["access_token"]
    h = bearer(token)
    theirs = (await client.post("/api/v1/statuses", headers=citizen.headers, json={"status": "question"})).json()
    post = (await client.post("/api/v1/statuses", headers=h, json={"status": "Announcement"})).json()
    reply = (await client.post("/api/v1/statuses", headers=h,
                               json={"status": "@citizen answer", "in_reply_to_id": theirs["id"]})).json()
    assert (await client.put(f"/api/v1/statuses/{post['id']}", headers=h, json={"status": "Announcement v2"})).status_code == 200
    assert (await client.post(f"/api/v1/statuses/{theirs['id']}/favourite", headers=h)).status_code == 200
    assert (await client.post(f"/api/v1/statuses/{theirs['id']}/unfavourite", headers=h)).status_code == 200
    assert (await client.post(f"/api/v1/statuses/{theirs['id']}/reblog", headers=h)).status_code == 200
    assert (await client.post(f"/api/v1/statuses/{theirs['id']}/unreblog", headers=h)).status_code == 200
    assert (await client.post(f"/api/v1/accounts/{citizen.account_id}/follow", headers=h)).status_code == 200
    assert (await client.post(f"/api/v1/accounts/{citizen.account_id}/unfollow", headers=h)).status_code == 200
    assert (await client.delete(f"/api/v1/statuses/{reply['id']}", headers=h)).status_code == 200
    owner_token = (await delegate(client, w, w.owner)).json()["access_token"]
    r = await client.patch("/api/v1/accounts/update_credentials", headers=bearer(owner_token), json={"note": "Roads"})
    assert r.status_code == 200
    entries = await _entries(app, w.ministry_id)
    acted = [(e.action, e.staff_username) for e in entries if not e.action.startswith(("member.", "token."))]
    assert acted == [
        ("status.create", "editor"), ("status.reply", "editor"), ("status.edit", "editor"),
        ("favourite.create", "editor"), ("favourite.delete", "editor"), ("reblog.create", "editor"),
        ("reblog.delete", "editor"), ("follow.create", "editor"), ("follow.delete", "editor"),
        ("status.delete", "editor"), ("profile.update", "owner"),
    ]
    by_action = {e.action: e for e in entries}
    assert by_action["status.create"].object_id == int(post["id"])
    assert by_action["status.create"].staff_account_id == w.editor.account_id
    assert by_action["status.delete"].detail["text"] == "@citizen answer"
    assert by_action["profile.update"].detail == {"fields": ["note"]}
    assert [e.staff_username for e in entries if e.action == "token.create"] == ["editor", "owner"]
    # The citizen's own actions are not the institution's business.
    await client.post(f"/api/v1/accounts/{w.ministry_id}/follow", headers=citizen.headers)
    assert len(await _entries(app, w.ministry_id)) == len(entries)


async def test_a_refused_action_leaves_no_entry(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    token = (await delegate(client, w, w.editor)).json()["access_token"]
    before = len(await _entries(app, w.ministry_id))
    r = await client.post("/api/v1/statuses", headers=bearer(token), json={"status": "x" * 5000})
    assert r.status_code == 422
    assert len(await _entries(app, w.ministry_id)) == before


async def test_the_public_sees_only_the_institution(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    token = (await delegate(client, w, w.editor)).json()["access_token"]
    post = (await client.post("/api/v1/statuses", headers=bearer(token), json={"status": "Hello"})).json()
    public = await client.get(f"/api/v1/statuses/{post['id']}")
    assert public.status_code == 200
    text = public.text
    assert '"editor"' not in text and str(w.editor.account_id) not in text
    assert public.json()["account"]["username"] == "ministry"


async def test_owner_reads_the_log_paged_with_link_headers(client: Any, app: Any, make_user: Any, settings: Any) -> None:
    settings.page_audit_default = 2
    settings.page_audit_max = 3
    w = await make_world(app, client, make_user)
    token = (await delegate(client, w, w.editor)).json()["access_token"]
    for i in range(4):
        await client.post("/api/v1/statuses", headers=bearer(token), json={"status": f"post {i}"})
    r = await client.get(f"{BASE}/{w.ministry_id}/audit", headers=w.owner.headers)
    assert r.status_code == 200 and len(r.json()) == 2  # page_audit_default
    assert r.json()[0]["action"] == "status.create" and r.json()[0]["staff"]["username"] == "editor"
    assert 'rel="next"' in r.headers["link"]
    r = await client.get(f"{BASE}/{w.ministry_id}/audit", headers=w.owner.headers, params={"limit": 50})
    assert len(r.json()) == 3  # page_audit_max
    seen = [e["id"] for e in r.json()]
    while True:
        r = await client.get(f"{BASE}/{w.ministry_id}/audit", headers=w.owner.headers,
                             params={"max_id": seen[-1], "limit": 3})
        if not r.json():
            break
        assert all(int(e["id"]) < int(seen[-1]) for e in r.json())
        seen += [e["id"] for e in r.json()]
    assert len(seen) == len(await _entries(app, w.ministry_id))


async def test_export_csv_and_json(client: Any, app: Any, make_user: Any, settings: Any) -> None:
    w = await make_world(app, client, make_user)
    token = (await delegate(client, w, w.editor)).json()["access_token"]
    await client.post("/api/v1/statuses", headers=bearer(token), json={"status": "=SUM(A1) is not a formula"})
    r = await client.get(f"{BASE}/{w.ministry_id}/audit", headers=w.owner.headers, params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows[0]["action"] == "status.create" and rows[0]["staff_username"] == "editor"
    assert '"text": "=SUM' in rows[0]["detail"]
    r = await client.get(f"{BASE}/{w.ministry_id}/audit", headers=w.owner.headers, params={"format": "json"})
    assert r.status_code == 200 and r.json()[0]["action"] == "status.create"
    settings.audit_export_max_rows = 1
    r = await client.get(f"{BASE}/{w.ministry_id}/audit", headers=w.owner.headers, params={"format": "json"})
    assert len(r.json()) == 1
    r = await client.get(f"{BASE}/{w.ministry_id}/audit", headers=w.owner.headers, params={"format": "xml"})
    assert r.status_code == 422


async def test_editors_analysts_and_outsiders_cannot_read_it(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    for who in (w.editor, w.analyst, w.outsider):
        r = await client.get(f"{BASE}/{w.ministry_id}/audit", headers=who.headers)
        assert r.status_code == 403


async def test_web_acting_is_logged_and_owner_pages_show_it(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    assert (await sign_in(client, "editor")).status_code == 303
    home = await client.get("/home")
    assert 'action="/web/acting"' in home.text
    r = await client.post("/web/acting", data={"csrf_token": csrf_from(home.text), "account_id": str(w.ministry_id),
                                               "next": "/home"})
    assert r.status_code == 303
    home = await client.get("/home")
    assert "Acting as @ministry" in home.text
    r = await client.post("/web/statuses", data={"csrf_token": csrf_from(home.text), "status": "From the web",
                                                 "as_account": str(w.ministry_id)})
    assert r.status_code == 303
    async with app.state.sessions() as s:
        status = await s.scalar(select(Status).where(Status.text == "From the web"))
        assert status is not None and status.account_id == w.ministry_id
    actions = [(e.action, e.staff_username) for e in await _entries(app, w.ministry_id)]
    assert ("session.act", "editor") in actions and ("status.create", "editor") in actions
    # An editor cannot change the institution's profile from the web either.
    r = await client.post("/settings/profile", data={"csrf_token": csrf_from(home.text), "display_name": "Hacked"})
    assert r.status_code == 403
    # ... nor read the audit page.
    assert (await client.get("/institutions/ministry/audit")).status_code == 403
    # A form opened while acting as someone else is refused, not posted as the wrong account.
    r = await client.post("/web/statuses", data={"csrf_token": csrf_from(home.text), "status": "stale form",
                                                 "as_account": str(w.editor.account_id)})
    assert r.status_code == 409
    async with app.state.sessions() as s:
        assert await s.scalar(select(func.count()).where(Status.text == "stale form")) == 0


async def test_owner_web_audit_page_and_downloads(client: Any, app: Any, make_user: Any) -> None:
    w = await make_world(app, client, make_user)
    token = (await delegate(client, w, w.editor)).json()["access_token"]
    post = (await client.post("/api/v1/statuses", headers=bearer(token), json={"status": "Listed"})).json()
    await sign_in(client, "owner")
    page = await client.get("/institutions/ministry/audit")
    assert page.status_code == 200
    assert "status.create" in page.text and "@editor" in page.text and f"/@ministry/{post['id']}" in page.text
    assert 'href="/institutions/ministry/audit.csv"' in page.text
    r = await client.get("/institutions/ministry/audit.csv")
    assert r.status_code == 200 and "status.create" in r.text
    r = await client.get("/institutions/ministry/audit.json")
    assert r.status_code == 200 and r.json()[0]["staff"]["username"] == "editor"
    members = await client.get("/institutions/ministry/members")
    assert members.status_code == 200 and "@analyst" in members.text
