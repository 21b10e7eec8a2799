"""Offices and their holders: tenures, one current holder per title, history both ways, the
`offices` of single Account entities, and the `chaupal admin` government commands."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from chaupal.cli import app as cli_app
from chaupal.config import Settings
from chaupal.db import make_engine, make_sessionmaker
from chaupal.models import Account, InstitutionProfile, OfficeHolding, VerificationEvent
from tests.gov.verification_helpers import ADMIN, make_institution, make_staff


async def _hold(client, mod, office, holder, since, title="Prime Minister", role="head_of_government"):
    return await client.post(
        f"{ADMIN}/offices",
        json={"office_id": str(office), "holder_id": str(holder), "title": title, "role": role,
              "started_on": since},
        headers=mod.headers,
    )


async def test_new_tenure__ends_previous_holders_and_keeps_history(app, client, settings, make_user):
    mod = await make_staff(app, make_user, "mod")
    pmo = await make_institution(app, settings, "PMOIndia", "Prime Minister's Office", category="office")
    old = await make_user("manmohan")
    new = await make_user("narendra")

    r = await _hold(client, mod, pmo, old.account_id, "2004-05-22")
    assert r.status_code == 200, r.text
    assert r.json()["current"] is True and r.json()["holder"]["id"] == str(old.account_id)
    r = await _hold(client, mod, pmo, new.account_id, "2014-05-26")
    assert r.status_code == 200, r.text

    history = (await client.get(f"/api/chaupal/v1/accounts/{pmo}/offices")).json()
    assert [(h["holder"]["username"], h["started_on"], h["ended_on"]) for h in history["held_by"]] == [
        ("narendra", "2014-05-26", None),
        ("manmohan", "2004-05-22", "2014-05-26"),
    ]
    assert history["holds"] == []
    theirs = (await client.get(f"/api/chaupal/v1/accounts/{old.account_id}/offices")).json()
    assert [(h["office"]["username"], h["current"]) for h in theirs["holds"]] == [("PMOIndia", False)]

    office_json = (await client.get(f"/api/v1/accounts/{pmo}")).json()["chaupal"]["offices"]
    assert office_json["held_by"] == [
        {"title": "Prime Minister", "role": "head_of_government", "since": "2014-05-26",
         "holder": {"id": str(new.account_id), "acct": "narendra", "display_name": ""}}
    ]
    person_json = (await client.get(f"/api/v1/accounts/{new.account_id}")).json()["chaupal"]["offices"]
    assert [h["office"]["acct"] for h in person_json["holds"]] == ["PMOIndia"]
    assert (await client.get(f"/api/v1/accounts/{old.account_id}")).json()["chaupal"]["offices"]["holds"] == []


async def test_tenures__one_current_holder_per_title_only(app, client, settings, make_user):
    mod = await make_staff(app, make_user, "mod")
    finmin = await make_institution(app, settings, "FinMinIndia", category="ministry")
    a = await make_user("nirmala")
    b = await make_user("pankaj")
    assert (await _hold(client, mod, finmin, a.account_id, "2024-06-10", "Finance Minister", "minister")).status_code == 200
    # A different title of the same office is a separate post.
    assert (await _hold(client, mod, finmin, b.account_id, "2024-06-10", "Minister of State", "minister")).status_code == 200
    async with app.state.sessions() as s:
        current = (await s.scalars(select(OfficeHolding).where(OfficeHolding.ended_on.is_(None)))).all()
    assert len(current) == 2


async def test_add_holding__invalid__422_nothing_written(app, client, settings, make_user):
    mod = await make_staff(app, make_user, "mod")
    pmo = await make_institution(app, settings, "PMOIndia", category="office")
    person = await make_user("narendra")
    other = await make_user("rahul")
    assert (await _hold(client, mod, pmo, person.account_id, "2014-05-26")).status_code == 200
    cases = [
        (pmo, person.account_id, "2015-01-01", "Prime Minister", "head_of_government"),  # already holds it
        (pmo, other.account_id, "2010-01-01", "Prime Minister", "head_of_government"),  # before current
        (person.account_id, other.account_id, "2020-01-01", "PM", "minister"),  # office is a person
        (pmo, pmo, "2020-01-01", "PM", "minister"),  # holder is an institution
        (pmo, other.account_id, "2020-01-01", "", "minister"),  # blank title
        (pmo, other.account_id, "2020-01-01", "x" * (settings.max_office_title_chars + 1), "minister"),
        (pmo, other.account_id, "2020-01-01", "PM", "emperor"),
    ]
    for office, holder, since, title, role in cases:
        r = await _hold(client, mod, office, holder, since, title, role)
        assert r.status_code == 422, (title[:10], role, r.text)
    r = await client.post(
        f"{ADMIN}/offices", json={"office_id": str(pmo), "holder_id": str(other.account_id), "title": "PM",
                                  "started_on": "yesterday"}, headers=mod.headers,
    )
    assert r.status_code == 422
    async with app.state.sessions() as s:
        assert len((await s.scalars(select(OfficeHolding))).all()) == 1


async def test_end_tenure__sets_ended_on_once(app, client, settings, make_user):
    mod = await make_staff(app, make_user, "mod")
    pmo = await make_institution(app, settings, "PMOIndia", category="office")
    person = await make_user("narendra")
    holding = (await _hold(client, mod, pmo, person.account_id, "2014-05-26")).json()
    r = await client.post(f"{ADMIN}/offices/{holding['id']}/end", json={"ended_on": "2010-01-01"}, headers=mod.headers)
    assert r.status_code == 422
    r = await client.post(f"{ADMIN}/offices/{holding['id']}/end", json={"ended_on": "2024-06-09"}, headers=mod.headers)
    assert r.status_code == 200 and r.json()["ended_on"] == "2024-06-09" and r.json()["current"] is False
    r = await client.post(f"{ADMIN}/offices/{holding['id']}/end", headers=mod.headers)
    assert r.status_code == 422
    assert (await client.post(f"{ADMIN}/offices/123/end", headers=mod.headers)).status_code == 404


# --- the command line -----------------------------------------------------------------------

runner = CliRunner()


def _invoke(data_dir: Path, *args: str):
    env = {"CHAUPAL_DATA_DIR": str(data_dir), "CHAUPAL_DATABASE_URL": "", "CHAUPAL_REDIS_URL": ""}
    return runner.invoke(cli_app, list(args), env=env, catch_exceptions=False)


def _rows(data_dir: Path, stmt):
    async def run():
        engine = make_engine(Settings(data_dir=data_dir))
        try:
            async with make_sessionmaker(engine)() as session:
                return (await session.execute(stmt)).all()
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_cli__institution_verify_link_office_unverify(tmp_path):
    data = tmp_path / "var"
    assert _invoke(data, "migrate").exit_code == 0
    r = _invoke(data, "admin", "create-institution", "UnionGovt", "--display-name", "Government of India",
                "--category", "government", "--jurisdiction", "India")
    assert r.exit_code == 0, r.output
    r = _invoke(data, "admin", "create-institution", "PMOIndia", "--display-name", "Prime Minister's Office",
                "--category", "office", "--parent", "UnionGovt", "--jurisdiction", "India")
    assert r.exit_code == 0, r.output
    assert _invoke(data, "admin", "create-account", "narendra", "--email", "n@example.org").exit_code == 0
    r = _invoke(data, "admin", "verify", "PMOIndia", "--type", "government", "--evidence", "Gazette 2024/117")
    assert r.exit_code == 0, r.output
    r = _invoke(data, "admin", "verify", "narendra", "--type", "official", "--evidence", "sworn in")
    assert r.exit_code == 1 and "public office" in r.output  # holds no office yet
    r = _invoke(data, "admin", "link-office", "PMOIndia", "narendra", "--title", "Prime Minister",
                "--role", "head_of_government", "--since", "2024-06-09")
    assert r.exit_code == 0, r.output
    assert _invoke(data, "admin", "link-office", "PMOIndia", "narendra", "--title", "PM", "--since", "9/6/24").exit_code == 1
    assert _invoke(data, "admin", "verify", "narendra", "--type", "official", "--evidence", "sworn in").exit_code == 0
    assert _invoke(data, "admin", "unverify", "PMOIndia", "--evidence", "test").exit_code == 0
    assert _invoke(data, "admin", "unverify", "nobody").exit_code == 1

    accounts = dict(_rows(data, select(Account.username, Account.verification)))
    assert accounts["PMOIndia"] is None and accounts["narendra"] == "official"
    parents = _rows(data, select(InstitutionProfile.parent_account_id, InstitutionProfile.category))
    assert sorted(c for _, c in parents) == ["government", "office"]
    events = _rows(data, select(VerificationEvent.action, VerificationEvent.moderator_account_id).order_by(VerificationEvent.id))
    assert [a for a, _ in events] == ["grant", "grant", "revoke"] and all(m is None for _, m in events)
    holdings = _rows(data, select(OfficeHolding.title, OfficeHolding.started_on))
    assert [(t, d.isoformat()) for t, d in holdings] == [("Prime Minister", "2024-06-09")]


async def test_tenure_ends__former_holder_loses_official_badge_with_event(app, client, settings, make_user):
    mod = await make_staff(app, make_user, "mod")
    pmo = await make_institution(app, settings, "PMOIndia", "Prime Minister's Office", category="office")
    fin = await make_institution(app, settings, "FinMinIndia", "Ministry of Finance", category="ministry")
    old = await make_user("manmohan")
    new = await make_user("narendra")
    assert (await _hold(client, mod, pmo, old.account_id, "2004-05-22")).status_code == 200
    held_fin = await _hold(client, mod, fin, old.account_id, "2009-01-24", title="Finance Minister",
                           role="minister")
    assert held_fin.status_code == 200
    r = await client.post(f"{ADMIN}/accounts/{old.account_id}/verification",
                          json={"type": "official", "evidence": "sworn in"}, headers=mod.headers)
    assert r.status_code == 200, r.text

    # A successor at the PMO: the old holder still holds the finance portfolio, so keeps the badge.
    assert (await _hold(client, mod, pmo, new.account_id, "2014-05-26")).status_code == 200
    assert (await client.get(f"/api/v1/accounts/{old.account_id}")).json()["chaupal"]["verification"]["type"] == "official"

    # The last tenure ends: the badge goes, and the revocation is on record.
    r = await client.post(f"{ADMIN}/offices/{held_fin.json()['id']}/end", json={"ended_on": "2014-05-26"},
                          headers=mod.headers)
    assert r.status_code == 200, r.text
    assert (await client.get(f"/api/v1/accounts/{old.account_id}")).json()["chaupal"]["verification"] is None
    async with app.state.sessions() as s:
        events = (await s.scalars(
            select(VerificationEvent).where(VerificationEvent.account_id == old.account_id)
            .order_by(VerificationEvent.id)
        )).all()
    assert [(e.action, e.verification) for e in events] == [("grant", "official"), ("revoke", "official")]
    assert "tenure ended" in events[-1].evidence
