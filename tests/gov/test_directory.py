"""The directory of government presence: hierarchy, filters, search, activity, office holders."""

from __future__ import annotations

from datetime import timedelta

from chaupal.db import utcnow
from tests.gov.factories import make_account, make_holding, make_institution, make_status


async def _cabinet(session):
    gov = await make_institution(session, "GovIN", "Government of India", category="government",
                                 verification="government", followers=900)
    pmo = await make_institution(session, "PMO", "Prime Minister's Office", category="office",
                                 parent=gov, followers=800)
    fin = await make_institution(session, "MinFin", "Ministry of Finance", parent=gov, followers=500)
    rev = await make_institution(session, "DeptRev", "Department of Revenue", category="department",
                                 parent=fin)
    kerala = await make_institution(session, "KeralaGovt", "Government of Kerala",
                                    category="state_government", jurisdiction="Kerala", level="state")
    gone = await make_institution(session, "Gone", "Suspended Ministry", parent=gov)
    gone.suspended_at = utcnow()
    pm = await make_account(session, "pm_person", display_name="The PM")
    old_pm = await make_account(session, "old_pm", display_name="Former PM")
    today = utcnow().date()
    await make_holding(session, pmo, old_pm, role="head_of_government", title="Prime Minister",
                       started_on=today - timedelta(days=2000), ended_on=today - timedelta(days=400))
    await make_holding(session, pmo, pm, role="head_of_government", title="Prime Minister",
                       started_on=today - timedelta(days=399))
    for days in (1, 5, 40):
        await make_status(session, fin, days_ago=days)
    await session.commit()
    return gov, pmo, fin, rev, kerala


async def test_directory__tree__hierarchy_holder_activity(client, session, settings):
    gov, *_ = await _cabinet(session)
    r = await client.get("/api/chaupal/v1/directory")
    assert r.status_code == 200
    body = r.json()
    assert body["format"] == "tree" and body["truncated"] is False
    roots = {n["account"]["acct"]: n for n in body["roots"]}
    assert set(roots) == {"GovIN", "KeralaGovt"}  # the suspended ministry is not listed
    children = {n["account"]["acct"]: n for n in roots["GovIN"]["children"]}
    assert set(children) == {"PMO", "MinFin"}
    assert [c["account"]["acct"] for c in children["MinFin"]["children"]] == ["DeptRev"]
    holder = children["PMO"]["office_holder"]
    assert holder["account"]["acct"] == "pm_person" and holder["role"] == "head_of_government"
    fin_node = children["MinFin"]
    assert fin_node["recent_statuses_count"] == 2  # 40 days ago is outside directory_activity_days
    assert fin_node["last_status_at"] and fin_node["followers_count"] == 500
    assert roots["GovIN"]["verification"] == "government" and fin_node["verification"] is None
    assert fin_node["category"] == "ministry" and fin_node["jurisdiction"] == "India"
    assert fin_node["parent_id"] == str(gov.id)


async def test_directory__filters_and_search(client, session, settings):
    await _cabinet(session)
    r = await client.get("/api/chaupal/v1/directory", params={"jurisdiction": "kerala"})
    assert [n["account"]["acct"] for n in r.json()["roots"]] == ["KeralaGovt"]
    r = await client.get("/api/chaupal/v1/directory", params={"category": "department"})
    assert [n["account"]["acct"] for n in r.json()["roots"]] == ["DeptRev"]  # parent filtered out: a root
    r = await client.get("/api/chaupal/v1/directory", params={"q": "finance", "format": "flat"})
    assert [e["account"]["acct"] for e in r.json()["entries"]] == ["MinFin"]
    r = await client.get("/api/chaupal/v1/directory", params={"q": "deptrev", "format": "flat"})
    assert r.json()["total"] == 1  # usernames match too
    r = await client.get("/api/chaupal/v1/directory", params={"category": "ministri"})
    assert r.status_code == 422
    r = await client.get("/api/chaupal/v1/directory", params={"q": "%_\\"})
    assert r.status_code == 200 and r.json()["roots"] == []


async def test_directory__flat__paged(client, session, settings):
    await _cabinet(session)
    r = await client.get("/api/chaupal/v1/directory", params={"format": "flat", "limit": 2})
    body = r.json()
    assert body["total"] == 5 and len(body["entries"]) == 2
    names = [e["account"]["display_name"] for e in body["entries"]]
    r = await client.get("/api/chaupal/v1/directory", params={"format": "flat", "limit": 2, "offset": 2})
    more = [e["account"]["display_name"] for e in r.json()["entries"]]
    assert names == ["Department of Revenue", "Government of India"]
    assert more == ["Government of Kerala", "Ministry of Finance"]
    assert "children" not in r.json()["entries"][0]


async def test_directory__directory_page_max_setting__enforced(client, session, settings, app):
    await _cabinet(session)
    app.state.settings = settings.model_copy(update={"directory_page_max": 3})
    r = await client.get("/api/chaupal/v1/directory", params={"format": "flat", "limit": 50})
    assert r.json()["limit"] == 3 and len(r.json()["entries"]) == 3


async def test_directory__directory_tree_max_setting__cuts_and_flags(client, session, settings, app):
    await _cabinet(session)
    app.state.settings = settings.model_copy(update={"directory_tree_max": 2})
    body = (await client.get("/api/chaupal/v1/directory")).json()
    assert body["truncated"] is True


async def test_directory__directory_activity_days_setting__enforced(client, session, settings, app):
    await _cabinet(session)
    app.state.settings = settings.model_copy(update={"directory_activity_days": 60})
    body = (await client.get("/api/chaupal/v1/directory", params={"q": "MinFin", "format": "flat"})).json()
    assert body["entries"][0]["recent_statuses_count"] == 3
