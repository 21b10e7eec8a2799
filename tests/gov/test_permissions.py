"""Systematic permissions for institution staff: for each role — owner, editor, analyst, a
non-member (staff of another institution), an outsider with their own token, and nobody —
every /api/chaupal/v1/institutions/* route and the key Mastodon writes as the institution
(post, delete, follow, update_credentials, media) is allowed or denied as the table says."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from chaupal.api.routes import iter_routes
from tests.gov.staff_world import add_member, bearer, delegate, make_institution, make_world

ROLES = ("owner", "editor", "analyst", "non_member", "outsider", "anonymous")
OK, DENIED = "ok", "denied"

# Every route under /api/chaupal/v1/institutions/{account_id}: role -> expected outcome.
# ("ok" = 2xx, or 404 for an action on a draft that does not exist once access was granted.)
INSTITUTION_ROUTES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/api/chaupal/v1/institutions/{account_id}"): dict.fromkeys(ROLES, OK),  # public
    ("GET", "/api/chaupal/v1/institutions/{account_id}/members"): {"owner": OK},
    ("POST", "/api/chaupal/v1/institutions/{account_id}/members"): {"owner": OK},
    ("PATCH", "/api/chaupal/v1/institutions/{account_id}/members/{member_id}"): {"owner": OK},
    ("DELETE", "/api/chaupal/v1/institutions/{account_id}/members/{member_id}"): {"owner": OK},
    ("POST", "/api/chaupal/v1/institutions/{account_id}/token"): {"owner": OK, "editor": OK},
    ("GET", "/api/chaupal/v1/institutions/{account_id}/audit"): {"owner": OK},
    ("GET", "/api/chaupal/v1/institutions/{account_id}/drafts"): {"owner": OK, "editor": OK},
    ("POST", "/api/chaupal/v1/institutions/{account_id}/drafts/{draft_id}/approve"): {"owner": OK, "editor": OK},
    ("POST", "/api/chaupal/v1/institutions/{account_id}/drafts/{draft_id}/reject"): {"owner": OK, "editor": OK},
}

# Mastodon writes as the institution: who may do them with the token they can get.
MASTODON_WRITES: dict[str, set[str]] = {
    "post": {"owner", "editor"},
    "delete": {"owner", "editor"},
    "follow": {"owner", "editor"},
    "media": {"owner", "editor"},
    "update_credentials": {"owner"},
}


def test_the_table_covers_every_institution_route(app: Any) -> None:
    routed = {r for r in iter_routes(app) if r[1].startswith("/api/chaupal/v1/institutions/")}
    assert routed == set(INSTITUTION_ROUTES), "classify new institution routes in INSTITUTION_ROUTES"


async def _people(app: Any, client: Any, make_user: Any) -> tuple[Any, dict[str, Any]]:
    w = await make_world(app, client, make_user)
    other = await make_institution(app, "otherministry")
    staff_elsewhere = await make_user("elsewhere")
    await add_member(app, other, "elsewhere", "owner")
    people = {"owner": w.owner, "editor": w.editor, "analyst": w.analyst, "non_member": staff_elsewhere,
              "outsider": w.outsider, "anonymous": None}
    return w, people


def _fill(path: str, w: Any, member_id: int) -> str:
    return path.format(account_id=w.ministry_id, member_id=member_id, draft_id=123456789)


def _body(method: str, path: str, w: Any) -> dict[str, Any] | None:
    if path.endswith("/members") and method == "POST":
        return {"username": "newcomer", "role": "analyst"}
    if "/members/" in path and method == "PATCH":
        return {"role": "editor"}
    if path.endswith("/token"):
        return {"client_id": w.client_id, "scopes": "read"}
    return None


@pytest.mark.parametrize("role", ROLES)
async def test_institution_routes_by_role(role: str, client: Any, app: Any, make_user: Any) -> None:
    w, people = await _people(app, client, make_user)
    await make_user("newcomer")
    await make_user("spare")
    await add_member(app, w.ministry_id, "spare", "analyst")
    spare_id = (await client.get("/api/v1/accounts/lookup", params={"acct": "spare"})).json()["id"]
    person = people[role]
    headers = person.headers if person is not None else {}
    for (method, path), expected in INSTITUTION_ROUTES.items():
        want = expected.get(role, DENIED)
        r = await client.request(method, _fill(path, w, int(spare_id)), headers=headers, json=_body(method, path, w))
        where = f"{role}: {method} {path} -> {r.status_code} {r.text[:200]}"
        if want == OK:
            assert r.status_code < 300 or (r.status_code == 404 and "draft" in path), where
        else:
            assert r.status_code in ((401,) if person is None else (403,)), where


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("role", ROLES)
async def test_mastodon_writes_as_the_institution_by_role(role: str, client: Any, app: Any, make_user: Any) -> None:
    w, people = await _people(app, client, make_user)
    citizen = await make_user("citizen")
    # A post of the institution's to try deleting, written by the owner.
    owner_token = (await delegate(client, w, w.owner)).json()["access_token"]
    victim = (await client.post("/api/v1/statuses", headers=bearer(owner_token), json={"status": "Keep me"})).json()
    person = people[role]
    got = await delegate(client, w, person) if person is not None else None
    if person is None:
        assert (await client.post(f"/api/chaupal/v1/institutions/{w.ministry_id}/token",
                                  json={"client_id": w.client_id})).status_code == 401
    elif role in ("owner", "editor"):
        assert got is not None and got.status_code == 200
    else:
        assert got is not None and got.status_code == 403, got.text
    # Whatever token they can get: a delegated one, else their own (acting as themselves).
    token_headers = bearer(got.json()["access_token"]) if got is not None and got.status_code == 200 else (
        person.headers if person is not None else {})

    async def ministry() -> dict[str, Any]:
        return (await client.get(f"/api/v1/accounts/{w.ministry_id}")).json()

    before = await ministry()
    post = await client.post("/api/v1/statuses", headers=token_headers, json={"status": f"as {role}"})
    posted_as_ministry = post.status_code == 200 and post.json()["account"]["id"] == str(w.ministry_id)
    assert posted_as_ministry == (role in MASTODON_WRITES["post"]), (role, post.status_code, post.text[:200])

    delete = await client.delete(f"/api/v1/statuses/{victim['id']}", headers=token_headers)
    assert (delete.status_code == 200) == (role in MASTODON_WRITES["delete"]), (role, delete.status_code)
    if role not in MASTODON_WRITES["delete"]:
        assert delete.status_code in (401, 404)

    await client.post(f"/api/v1/accounts/{citizen.account_id}/follow", headers=token_headers)
    followed = (await ministry())["following_count"] > before["following_count"]
    assert followed == (role in MASTODON_WRITES["follow"]), role

    media = await client.post("/api/v2/media", headers=token_headers,
                              files={"file": ("a.png", _png(), "image/png")})
    media_ok = media.status_code in (200, 202)
    # Media uploaded with a delegated token belongs to the institution: it can attach it.
    if media_ok and role in MASTODON_WRITES["media"]:
        with_media = await client.post("/api/v1/statuses", headers=token_headers,
                                       json={"status": "with a picture", "media_ids": [media.json()["id"]]})
        assert with_media.status_code == 200 and with_media.json()["account"]["id"] == str(w.ministry_id)
    assert (media_ok and got is not None and got.status_code == 200) == (role in MASTODON_WRITES["media"]), role

    creds = await client.patch("/api/v1/accounts/update_credentials", headers=token_headers,
                               json={"display_name": f"Renamed by {role}"})
    renamed = (await ministry())["display_name"] == f"Renamed by {role}"
    assert renamed == (role in MASTODON_WRITES["update_credentials"]), (role, creds.status_code, creds.text[:200])
    if role == "editor":
        assert creds.status_code == 403


@pytest.mark.parametrize("role", ROLES[:-1])
async def test_web_switcher_by_role(role: str, client: Any, app: Any, make_user: Any) -> None:
    from tests.web.flows import csrf_from, sign_in

    w, people = await _people(app, client, make_user)
    assert (await sign_in(client, people[role].username)).status_code == 303
    home = await client.get("/home")
    offered = f'value="{w.ministry_id}"' in home.text
    assert offered == (role in ("owner", "editor")), role
    r = await client.post("/web/acting", data={"csrf_token": csrf_from(home.text), "account_id": str(w.ministry_id)})
    assert (r.status_code == 303) == (role in ("owner", "editor")), (role, r.status_code)
    if role not in ("owner", "editor"):
        assert r.status_code == 403
    members_page = await client.get("/institutions/ministry/members")
    assert (members_page.status_code == 200) == (role == "owner"), role
