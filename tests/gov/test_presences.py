"""External presences: anyone reads them; only the account's owners (or an admin) write them;
audience figures carry date and source; only an admin marks a presence verified."""

from __future__ import annotations

from sqlalchemy import update

from chaupal.models import InstitutionMember, User
from tests.gov.factories import make_institution

BASE = "/api/chaupal/v1/accounts/{}/presences"


async def _setup(session, make_user):
    ministry = await make_institution(session, "MinFin", "Ministry of Finance")
    await session.commit()
    owner = await make_user("owner1")
    editor = await make_user("editor1")
    stranger = await make_user("stranger")
    admin = await make_user("admin1")
    session.add(InstitutionMember(institution_account_id=ministry.id, user_id=owner.user_id, role="owner"))
    session.add(InstitutionMember(institution_account_id=ministry.id, user_id=editor.user_id, role="editor"))
    await session.execute(update(User).where(User.id == admin.user_id).values(role="admin"))
    await session.commit()
    return ministry, owner, editor, stranger, admin


async def test_presences__only_owner_or_admin_write(client, session, make_user):
    ministry, owner, editor, stranger, admin = await _setup(session, make_user)
    url = BASE.format(ministry.id)
    data = {"platform": "YouTube", "url": "https://youtube.example/@minfin"}
    assert (await client.post(url, data=data)).status_code == 401
    for who in (editor, stranger):
        r = await client.post(url, data=data, headers=who.headers)
        assert r.status_code == 403, who.username
    r = await client.post(url, data=data, headers=owner.headers)
    assert r.status_code == 200 and r.json()["verified_at"] is None
    pid = r.json()["id"]
    r = await client.post(url, json={"platform": "X", "url": "https://x.example/minfin"}, headers=admin.headers)
    assert r.status_code == 200
    audience = {"followers": 1200, "as_of": "2026-01-31", "source": "channel page, 31 Jan"}
    assert (await client.post(f"{url}/{pid}/audience", data=audience, headers=stranger.headers)).status_code == 403
    r = await client.post(f"{url}/{pid}/audience", data=audience, headers=owner.headers)
    assert r.status_code == 200 and r.json()["followers"] == 1200
    listing = (await client.get(url)).json()  # public
    assert {p["platform"]: p["followers"] for p in listing} == {"YouTube": 1200, "X": None}
    assert (await client.delete(f"{url}/{pid}", headers=editor.headers)).status_code == 403
    assert (await client.delete(f"{url}/{pid}", headers=owner.headers)).status_code == 200
    assert [p["platform"] for p in (await client.get(url)).json()] == ["X"]
    assert (await client.delete(f"{url}/{pid}", headers=owner.headers)).status_code == 404


async def test_presences__own_person_account_may_declare(client, make_user):
    person = await make_user("minister")
    r = await client.post(BASE.format(person.account_id), headers=person.headers,
                          data={"platform": "X", "url": "https://x.example/minister"})
    assert r.status_code == 200


async def test_presences__verify__admin_only(client, session, make_user):
    ministry, owner, _, _, admin = await _setup(session, make_user)
    url = BASE.format(ministry.id)
    pid = (await client.post(url, headers=owner.headers,
                             data={"platform": "X", "url": "https://x.example/a"})).json()["id"]
    assert (await client.post(f"{url}/{pid}/verify", headers=owner.headers)).status_code == 403
    r = await client.post(f"{url}/{pid}/verify", headers=admin.headers)
    assert r.status_code == 200 and r.json()["verified_at"]
    r = await client.post(f"{url}/{pid}/verify", headers=admin.headers, data={"verified": "false"})
    assert r.json()["verified_at"] is None


async def test_presences__bad_input__422(client, session, make_user, settings):
    ministry, owner, *_ = await _setup(session, make_user)
    url = BASE.format(ministry.id)
    for data in ({"platform": "X", "url": "javascript:alert(1)"}, {"platform": "", "url": "https://a.example"},
                 {"platform": "X" * (settings.max_presence_platform_chars + 1), "url": "https://a.example"},
                 {"platform": "X", "url": "https://a.example/" + "a" * settings.max_presence_url_chars},
                 {"url": "https://a.example"}):
        assert (await client.post(url, data=data, headers=owner.headers)).status_code == 422, data
    pid = (await client.post(url, headers=owner.headers,
                             data={"platform": "X", "url": "https://a.example"})).json()["id"]
    dup = await client.post(url, headers=owner.headers, data={"platform": "X", "url": "https://a.example"})
    assert dup.status_code == 422
    for data in ({"followers": -1, "as_of": "2026-01-01", "source": "s"},
                 {"followers": 1, "as_of": "2999-01-01", "source": "s"},
                 {"followers": 1, "as_of": "yesterday", "source": "s"},
                 {"followers": 1, "as_of": "2026-01-01", "source": ""},
                 {"followers": 1, "as_of": "2026-01-01", "source": "s" * (settings.max_audience_source_chars + 1)}):
        r = await client.post(f"{url}/{pid}/audience", data=data, headers=owner.headers)
        assert r.status_code == 422, data
    assert (await client.get(BASE.format("nope"))).status_code == 404
    assert (await client.get(BASE.format(ministry.id) + "/x/audience")).status_code in (404, 405)


async def test_presences__max_presences_per_account_setting__enforced(client, session, make_user, settings, app):
    ministry, owner, *_ = await _setup(session, make_user)
    app.state.settings = settings.model_copy(update={"max_presences_per_account": 1})
    url = BASE.format(ministry.id)
    ok = await client.post(url, headers=owner.headers, data={"platform": "X", "url": "https://a.example"})
    assert ok.status_code == 200
    r = await client.post(url, headers=owner.headers, data={"platform": "Y", "url": "https://b.example"})
    assert r.status_code == 422 and "at most 1" in r.json()["error"]


async def test_presences__changes_go_to_the_institution_audit_trail(client, session, make_user):
    from sqlalchemy import select

    from chaupal.models import AuditEntry

    ministry, owner, _, _, admin = await _setup(session, make_user)
    url = BASE.format(ministry.id)
    pid = (await client.post(url, headers=owner.headers,
                             data={"platform": "X", "url": "https://x.example/a"})).json()["id"]
    await client.post(f"{url}/{pid}/audience", headers=owner.headers,
                      data={"followers": 5, "as_of": "2026-01-01", "source": "profile page"})
    await client.post(f"{url}/{pid}/verify", headers=admin.headers)
    await client.delete(f"{url}/{pid}", headers=owner.headers)
    rows = list(await session.scalars(
        select(AuditEntry).where(AuditEntry.institution_account_id == ministry.id).order_by(AuditEntry.id)))
    assert [(r.action, r.staff_username) for r in rows] == [
        ("presence.create", "owner1"), ("presence.audience", "owner1"),
        ("presence.verify", "admin1"), ("presence.delete", "owner1"),
    ]
    assert rows[1].detail["followers"] == 5 and rows[0].detail["url"] == "https://x.example/a"
