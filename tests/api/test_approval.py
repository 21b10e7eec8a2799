"""Approval workflow on SQLite and PostgreSQL: an editor acting for an institution that requires
approval makes a draft (invisible everywhere), another owner or editor approves (published now or
at its scheduled time) or rejects it; owners publish directly; nobody reviews their own post."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from chaupal.actions.tokens import do_issue_token
from chaupal.db import utcnow
from chaupal.jobs import JobRunner
from chaupal.models import Account, InstitutionMember, InstitutionProfile, Job, ScheduledStatus


@dataclass
class Staff:
    user_id: int
    account_id: int
    own: dict[str, str]  # headers with the staff member's own token
    acting: dict[str, str]  # headers with a token acting for the institution


@dataclass
class Ministry:
    id: int
    owner: Staff
    editor: Staff
    editor2: Staff
    analyst: Staff
    reader: Any  # a citizen who searches


async def _institution(app: Any, make_user: Any, *, require_approval: bool = True) -> Ministry:
    people = {n: await make_user(n) for n in ("olga", "ed", "eve", "ana", "citizen")}
    roles = {"olga": "owner", "ed": "editor", "eve": "editor", "ana": "analyst"}
    async with app.state.sessions() as s:
        account = Account(
            username="health", username_lower="health", display_name="Ministry of Health", kind="institution"
        )
        s.add(account)
        await s.flush()
        s.add(InstitutionProfile(account_id=account.id, category="ministry", require_approval=require_approval))
        staff = {}
        for name, role in roles.items():
            u = people[name]
            s.add(InstitutionMember(institution_account_id=account.id, user_id=u.user_id, role=role))
            token, plain, _ = await do_issue_token(s, user_id=u.user_id, application_id=None, scopes="read write")
            token.acting_account_id = account.id
            staff[name] = Staff(u.user_id, u.account_id, u.headers, {"Authorization": f"Bearer {plain}"})
        await s.commit()
    return Ministry(account.id, staff["olga"], staff["ed"], staff["eve"], staff["ana"], people["citizen"])


@pytest.fixture
async def ministry(app: Any, make_user: Any) -> Ministry:
    return await _institution(app, make_user)


async def _visible_anywhere(client: Any, m: Ministry, word: str) -> bool:
    public = (await client.get("/api/v1/timelines/public")).json()
    own = (await client.get(f"/api/v1/accounts/{m.id}/statuses")).json()
    found = (
        await client.get("/api/v2/search", params={"q": word, "type": "statuses"}, headers=m.reader.headers)
    ).json()["statuses"]
    return any(word in s["content"] for s in [*public, *own, *found])


def _drafts(m: Ministry) -> str:
    return f"/api/chaupal/v1/institutions/{m.id}/drafts"


async def test_editor_post__held_as_pending_draft__invisible_everywhere(client, ministry):
    r = await client.post("/api/v1/statuses", data={"status": "vaccination drive"}, headers=ministry.editor.acting)
    assert r.status_code == 200, r.text
    draft = r.json()
    assert draft["chaupal"]["state"] == "pending_approval"
    assert draft["chaupal"]["created_by"] == "ed"
    assert draft["scheduled_at"] is None and draft["params"]["text"] == "vaccination drive"
    assert not await _visible_anywhere(client, ministry, "vaccination")
    listed = (await client.get("/api/v1/scheduled_statuses", headers=ministry.editor.acting)).json()
    assert [d["id"] for d in listed] == [draft["id"]]


async def test_owner_post__published_directly(client, ministry):
    r = await client.post("/api/v1/statuses", data={"status": "owner speaks"}, headers=ministry.owner.acting)
    assert r.status_code == 200 and r.json()["account"]["id"] == str(ministry.id)
    assert await _visible_anywhere(client, ministry, "owner")


async def test_no_approval_required__editor_publishes_directly(app, client, make_user):
    m = await _institution(app, make_user, require_approval=False)
    r = await client.post("/api/v1/statuses", data={"status": "direct"}, headers=m.editor.acting)
    assert r.json()["account"]["id"] == str(m.id)


async def test_editor_own_token__posts_as_themselves(client, ministry):
    r = await client.post("/api/v1/statuses", data={"status": "personal"}, headers=ministry.editor.own)
    assert r.json()["account"]["id"] == str(ministry.editor.account_id)


async def test_drafts_list__owners_and_editors_only(client, ministry):
    draft = (await client.post("/api/v1/statuses", data={"status": "x1"}, headers=ministry.editor.acting)).json()
    for staff in (ministry.owner, ministry.editor2, ministry.editor):
        for headers in (staff.acting, staff.own):
            r = await client.get(_drafts(ministry), headers=headers)
            assert [d["id"] for d in r.json()] == [draft["id"]]
    assert (await client.get(_drafts(ministry), headers=ministry.analyst.own)).status_code == 403
    assert (await client.get(_drafts(ministry), headers=ministry.reader.headers)).status_code == 403
    assert (await client.get(_drafts(ministry))).status_code == 401


async def test_approve__by_another_member__published_now_and_recorded(app, client, ministry):
    draft = (await client.post("/api/v1/statuses", data={"status": "flood relief"}, headers=ministry.editor.acting)).json()
    url = f"{_drafts(ministry)}/{draft['id']}/approve"
    r = await client.post(url, headers=ministry.editor.acting)
    assert r.status_code == 403  # the author never approves
    assert not await _visible_anywhere(client, ministry, "flood")
    r = await client.post(url, headers=ministry.editor2.own)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["chaupal"]["state"] == "published" and body["chaupal"]["reviewed_by"] == "eve"
    assert body["chaupal"]["status"]["account"]["id"] == str(ministry.id)
    assert await _visible_anywhere(client, ministry, "flood")
    async with app.state.sessions() as s:
        row = await s.get(ScheduledStatus, int(draft["id"]))
        assert row.approved_by_user_id == ministry.editor2.user_id and row.approved_at is not None
    assert (await client.post(url, headers=ministry.owner.own)).status_code == 404  # already done
    assert (await client.get(_drafts(ministry), headers=ministry.owner.own)).json() == []


async def test_reject__never_published(client, ministry):
    draft = (await client.post("/api/v1/statuses", data={"status": "typo post"}, headers=ministry.editor.acting)).json()
    base = f"{_drafts(ministry)}/{draft['id']}"
    assert (await client.post(f"{base}/reject", headers=ministry.editor.own)).status_code == 403
    r = await client.post(f"{base}/reject", headers=ministry.owner.acting)
    assert r.status_code == 200 and r.json()["chaupal"]["state"] == "rejected"
    assert (await client.post(f"{base}/approve", headers=ministry.owner.acting)).status_code == 404
    assert not await _visible_anywhere(client, ministry, "typo")


async def test_analyst_and_outsiders__cannot_review(client, ministry):
    draft = (await client.post("/api/v1/statuses", data={"status": "y"}, headers=ministry.editor.acting)).json()
    url = f"{_drafts(ministry)}/{draft['id']}/approve"
    assert (await client.post(url, headers=ministry.analyst.own)).status_code == 403
    assert (await client.post(url, headers=ministry.reader.headers)).status_code == 403


async def test_approved_draft_with_a_time__published_by_the_runner_then(app, client, settings, ministry):
    when = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    draft = (
        await client.post(
            "/api/v1/statuses", data={"status": "budget at noon", "scheduled_at": when}, headers=ministry.editor.acting
        )
    ).json()
    assert draft["chaupal"]["state"] == "pending_approval" and draft["scheduled_at"] is not None
    r = await client.post(f"{_drafts(ministry)}/{draft['id']}/approve", headers=ministry.owner.own)
    assert r.json()["chaupal"]["state"] == "scheduled"
    assert not await _visible_anywhere(client, ministry, "budget")
    past = utcnow() - timedelta(seconds=1)
    async with app.state.sessions() as s:
        await s.execute(update(ScheduledStatus).values(scheduled_at=past))
        await s.execute(update(Job).values(run_at=past))
        await s.commit()
    assert await JobRunner(app.state.sessions, settings).run_until_idle() == 1
    assert await _visible_anywhere(client, ministry, "budget")


async def test_drafts__wrong_or_foreign_ids__404(client, ministry, make_user):
    assert (await client.post(f"{_drafts(ministry)}/123/approve", headers=ministry.owner.own)).status_code == 404
    bob = await make_user("bob")
    mine = (await client.post("/api/v1/statuses", json={"status": "b", "scheduled_at": (
        datetime.now(UTC) + timedelta(hours=1)).isoformat()}, headers=bob.headers)).json()
    r = await client.post(f"{_drafts(ministry)}/{mine['id']}/approve", headers=ministry.owner.own)
    assert r.status_code == 404


async def _audit(app: Any, institution_id: int) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from chaupal.models import AuditEntry

    async with app.state.sessions() as s:
        rows = await s.execute(
            select(AuditEntry.action, AuditEntry.staff_username)
            .where(AuditEntry.institution_account_id == institution_id)
            .order_by(AuditEntry.id)
        )
        return [tuple(r) for r in rows.all()]


async def test_audit__draft_approval__names_author_for_the_post_and_reviewer_for_the_review(
    app, client, ministry
):
    draft = (await client.post("/api/v1/statuses", data={"status": "relief"}, headers=ministry.editor.acting)).json()
    r = await client.post(f"{_drafts(ministry)}/{draft['id']}/approve", headers=ministry.editor2.own)
    assert r.status_code == 200, r.text
    assert await _audit(app, ministry.id) == [
        ("draft.create", "ed"),
        ("draft.approve", "eve"),
        ("status.create", "ed"),
    ]


async def test_audit__scheduled_post_published_by_the_runner__names_its_author(app, client, settings, make_user):
    m = await _institution(app, make_user, require_approval=False)
    when = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    r = await client.post(
        "/api/v1/statuses", data={"status": "later", "scheduled_at": when}, headers=m.editor.acting
    )
    assert r.status_code == 200, r.text
    past = utcnow() - timedelta(seconds=1)
    async with app.state.sessions() as s:
        await s.execute(update(ScheduledStatus).values(scheduled_at=past))
        await s.execute(update(Job).values(run_at=past))
        await s.commit()
    assert await JobRunner(app.state.sessions, settings).run_until_idle() == 1
    assert await _audit(app, m.id) == [("status.schedule", "ed"), ("status.create", "ed")]
