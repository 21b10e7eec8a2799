"""Web pages for later posts: "schedule for" on the compose form, /scheduled with cancel, and
/drafts where another owner or editor approves an editor's post (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from chaupal.models import AccessToken, Account, InstitutionMember, InstitutionProfile
from tests.web.flows import browser, csrf_from, sign_in
from tests.web.test_pages import web_post


def _local(**delta: Any) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M")


async def test_compose__schedule_for__listed_then_cancelled(client, make_user):
    await make_user("alice")
    assert (await sign_in(client, "alice")).status_code == 303
    r = await web_post(client, "see you tomorrow", scheduled_at=_local(days=1))
    assert (r.status_code, r.headers["location"]) == (303, "/scheduled")
    page = await client.get("/scheduled")
    assert "see you tomorrow" in page.text and "Scheduled" in page.text
    assert "see you tomorrow" not in (await client.get("/public")).text
    sid = page.text.split('id="scheduled-')[1].split('"')[0]
    r = await client.post(f"/scheduled/{sid}/cancel", data={"csrf_token": csrf_from(page.text)})
    assert r.status_code == 303
    assert "see you tomorrow" not in (await client.get("/scheduled")).text


async def test_compose__schedule_for_the_past__refused_with_the_form_kept(client, make_user):
    await make_user("alice")
    await sign_in(client, "alice")
    r = await web_post(client, "too late", scheduled_at=_local(minutes=-10))
    assert r.status_code == 422 and "must be in the future" in r.text and "too late" in r.text


async def _act_for(app: Any, user_id: int, institution_id: int) -> None:
    async with app.state.sessions() as s:
        await s.execute(
            update(AccessToken)
            .where(AccessToken.user_id == user_id, AccessToken.kind == "session")
            .values(acting_account_id=institution_id)
        )
        await s.commit()


async def test_drafts_page__editor_post_waits__another_member_approves(app, client, make_user):
    ed, olga = await make_user("ed"), await make_user("olga")
    async with app.state.sessions() as s:
        inst = Account(username="health", username_lower="health", display_name="Health", kind="institution")
        s.add(inst)
        await s.flush()
        s.add(InstitutionProfile(account_id=inst.id, category="ministry", require_approval=True))
        s.add(InstitutionMember(institution_account_id=inst.id, user_id=ed.user_id, role="editor"))
        s.add(InstitutionMember(institution_account_id=inst.id, user_id=olga.user_id, role="owner"))
        await s.commit()
    await sign_in(client, "ed")
    await _act_for(app, ed.user_id, inst.id)
    r = await web_post(client, "monsoon preparedness")
    assert (r.status_code, r.headers["location"]) == (303, "/scheduled")
    assert "Waiting for approval" in (await client.get("/scheduled")).text
    assert "monsoon" not in (await client.get("/@health")).text
    mine = await client.get("/drafts")
    assert "another member must review it" in mine.text and "/approve" not in mine.text
    async with browser(app) as owner:
        await sign_in(owner, "olga")
        await _act_for(app, olga.user_id, inst.id)
        page = await owner.get("/drafts")
        assert "monsoon preparedness" in page.text
        draft_id = page.text.split('id="draft-')[1].split('"')[0]
        r = await owner.post(f"/drafts/{draft_id}/approve", data={"csrf_token": csrf_from(page.text)})
        assert r.status_code == 303
        assert "monsoon preparedness" not in (await owner.get("/drafts")).text
    assert "monsoon preparedness" in (await client.get("/public")).text


async def test_drafts_page__not_a_reviewer__refused(client, make_user):
    await make_user("alice")
    await sign_in(client, "alice")
    assert (await client.get("/drafts")).status_code == 403
