"""Registration, verify_credentials, update_credentials, password change and suspension."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from chaupal.app import create_app
from chaupal.models import Account, User
from tests.web.flows import register_app


async def _app_token(client, scopes="read write follow push") -> dict[str, str]:
    app = await register_app(client, scopes=scopes)
    t = await client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": scopes,
                                                "client_id": app["client_id"],
                                                "client_secret": app["client_secret"]})
    return {"Authorization": f"Bearer {t.json()['access_token']}"}


def _signup(username="carol", **extra: Any) -> dict[str, Any]:
    return {"username": username, "email": f"{username}@example.org", "password": "secret-pass-1",
            "agreement": "true", "locale": "en", **extra}


class Custom:
    """An app built from the test settings with a few overrides, on the same database."""

    def __init__(self, settings, **overrides):
        self.app = create_app(settings.model_copy(update=overrides))

    async def __aenter__(self) -> httpx.AsyncClient:
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app, client=("10.0.0.1", 1)),
                                         base_url="http://chaupal.test")
        return self._client

    async def __aexit__(self, *exc):
        await self._client.aclose()
        await self._lifespan.__aexit__(*exc)


# --- registration ---------------------------------------------------------------------------


async def test_register__open__token_works(client):
    headers = await _app_token(client)
    r = await client.post("/api/v1/accounts", data=_signup(), headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "read write follow push"
    assert isinstance(body["created_at"], int)
    me = await client.get("/api/v1/accounts/verify_credentials",
                          headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "carol"


async def test_register__json_body_with_boolean_agreement(client):
    headers = await _app_token(client)
    r = await client.post("/api/v1/accounts", json={**_signup(), "agreement": True}, headers=headers)
    assert r.status_code == 200


async def test_register__without_token__401(client):
    r = await client.post("/api/v1/accounts", data=_signup())
    assert r.status_code == 401


async def test_register__app_token_without_write_scope__403(client):
    headers = await _app_token(client, scopes="read")
    r = await client.post("/api/v1/accounts", data=_signup(), headers=headers)
    assert r.status_code == 403


async def test_register__no_agreement__422_err_accepted(client, session):
    headers = await _app_token(client)
    r = await client.post("/api/v1/accounts", data=_signup(agreement="false"), headers=headers)
    assert r.status_code == 422
    assert r.json()["details"]["agreement"][0]["error"] == "ERR_ACCEPTED"
    assert await session.scalar(select(func.count()).select_from(Account)) == 0


@pytest.mark.parametrize("field,value,code", [
    ("username", "", "ERR_BLANK"),
    ("username", "bad name!", "ERR_INVALID"),
    ("username", "admin", "ERR_RESERVED"),
    ("email", "nope", "ERR_INVALID"),
    ("password", "short", "ERR_TOO_SHORT"),
])
async def test_register__invalid_fields__422_with_details(client, session, field, value, code):
    headers = await _app_token(client)
    r = await client.post("/api/v1/accounts", data=_signup(**{field: value}), headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["details"][field][0]["error"] == code
    assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_register__username_taken_case_insensitively__422(client, make_user):
    await make_user("Carol")
    headers = await _app_token(client)
    r = await client.post("/api/v1/accounts", data=_signup("carol", email="other@example.org"), headers=headers)
    assert r.status_code == 422 and r.json()["details"]["username"][0]["error"] == "ERR_TAKEN"


async def test_register__username_limit_from_settings(client, settings):
    headers = await _app_token(client)
    too_long = "u" * (settings.max_username_chars + 1)
    r = await client.post("/api/v1/accounts", data=_signup(too_long), headers=headers)
    assert r.status_code == 422 and r.json()["details"]["username"][0]["error"] == "ERR_TOO_LONG"


async def test_register__password_limits_from_settings(client, settings):
    headers = await _app_token(client)
    r = await client.post("/api/v1/accounts",
                          data=_signup(password="p" * (settings.max_password_chars + 1)), headers=headers)
    assert r.status_code == 422 and r.json()["details"]["password"][0]["error"] == "ERR_TOO_LONG"


async def test_register__reason_limit_from_settings(client, settings):
    headers = await _app_token(client)
    r = await client.post("/api/v1/accounts",
                          data=_signup(reason="r" * (settings.max_sign_up_reason_chars + 1)), headers=headers)
    assert r.status_code == 422


async def test_register__bad_locale__422(client):
    headers = await _app_token(client)
    r = await client.post("/api/v1/accounts", data=_signup(locale="<script>"), headers=headers)
    assert r.status_code == 422


async def test_register__closed__403(client, settings):
    async with Custom(settings, registrations="closed") as c:
        headers = await _app_token(c)
        r = await c.post("/api/v1/accounts", data=_signup(), headers=headers)
    assert r.status_code == 403 and "closed" in r.json()["error"]


async def test_register__approval__token_unusable_until_approved(client, settings, session):
    async with Custom(settings, registrations="approval") as c:
        headers = await _app_token(c)
        r = await c.post("/api/v1/accounts", data=_signup(reason="I run the water ministry"), headers=headers)
        assert r.status_code == 200
        token = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert (await c.get("/api/v1/accounts/verify_credentials", headers=token)).status_code == 401
        user = await session.scalar(select(User))
        assert user.approved is False and user.reason == "I run the water ministry"
        user.approved = True
        await session.commit()
        assert (await c.get("/api/v1/accounts/verify_credentials", headers=token)).status_code == 200


# --- verify_credentials ---------------------------------------------------------------------


async def test_verify_credentials__credential_account(client, make_user):
    u = await make_user("alice")
    r = await client.get("/api/v1/accounts/verify_credentials", headers=u.headers)
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == str(u.account_id) and body["source"]["privacy"] == "public"
    assert body["source"]["follow_requests_count"] == 0 and "role" in body


async def test_verify_credentials__profile_scope_suffices(client, make_user):
    u = await make_user("alice", scopes="profile")
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=u.headers)).status_code == 200


async def test_verify_credentials__wrong_scope__403(client, make_user):
    u = await make_user("alice", scopes="write")
    r = await client.get("/api/v1/accounts/verify_credentials", headers=u.headers)
    assert r.status_code == 403


async def test_verify_credentials__no_token__401(client):
    assert (await client.get("/api/v1/accounts/verify_credentials")).status_code == 401


# --- update_credentials ---------------------------------------------------------------------


async def test_update_credentials__profile_fields_and_source(client, make_user):
    u = await make_user("alice")
    r = await client.patch("/api/v1/accounts/update_credentials", headers=u.headers, data={
        "display_name": "Alice A.", "note": "Hi <b>there</b>\nsecond line\n\nSee https://example.org/x.",
        "locked": "true", "bot": "True", "discoverable": "false", "hide_collections": "1",
        "fields_attributes[0][name]": "Site", "fields_attributes[0][value]": "https://alice.example",
        "fields_attributes[1][name]": "Pronouns", "fields_attributes[1][value]": "she/her",
        "source[privacy]": "unlisted", "source[sensitive]": "true", "source[language]": "hi"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["display_name"] == "Alice A." and body["locked"] is True and body["bot"] is True
    assert body["discoverable"] is False and body["hide_collections"] is True
    assert body["note"] == ('<p>Hi &lt;b&gt;there&lt;/b&gt;<br />second line</p><p>See <a href="https://example.org/x" '
                            'target="_blank" rel="nofollow noopener noreferrer" translate="no">example.org/x</a>.</p>')
    assert body["source"]["note"] == "Hi <b>there</b>\nsecond line\n\nSee https://example.org/x."
    assert body["fields"][0]["name"] == "Site" and body["fields"][0]["value"].startswith('<a href="https://alice.example"')
    assert body["source"]["fields"][1] == {"name": "Pronouns", "value": "she/her", "verified_at": None}
    assert body["source"]["privacy"] == "unlisted" and body["source"]["sensitive"] is True
    assert body["source"]["language"] == "hi"
    prefs = (await client.get("/api/v1/preferences", headers=u.headers)).json()
    assert prefs["posting:default:visibility"] == "unlisted" and prefs["posting:default:language"] == "hi"


async def test_update_credentials__json_fields_list(client, make_user):
    u = await make_user("alice")
    r = await client.patch("/api/v1/accounts/update_credentials", headers=u.headers,
                           json={"fields_attributes": [{"name": "a", "value": "b"}, {"name": "", "value": ""}]})
    assert r.status_code == 200 and [f["name"] for f in r.json()["fields"]] == ["a"]


async def test_update_credentials__note_cannot_inject_markup(client, make_user):
    u = await make_user("alice")
    r = await client.patch("/api/v1/accounts/update_credentials", headers=u.headers, json={
        "note": 'x https://e.example/"><script>alert(1)</script> <img src=x onerror=alert(1)>'})
    note = r.json()["note"]
    assert "<script" not in note and "<img" not in note and 'onerror' not in note.replace("onerror=alert(1)&gt;", "")


@pytest.mark.parametrize("field,setting", [
    ("display_name", "max_display_name_chars"), ("note", "max_note_chars")])
async def test_update_credentials__text_limits_from_settings(client, make_user, settings, field, setting):
    u = await make_user("alice")
    limit = getattr(settings, setting)
    ok = await client.patch("/api/v1/accounts/update_credentials", headers=u.headers, json={field: "x" * limit})
    assert ok.status_code == 200
    r = await client.patch("/api/v1/accounts/update_credentials", headers=u.headers, json={field: "x" * (limit + 1)})
    assert r.status_code == 422 and "too long" in r.json()["error"]


async def test_update_credentials__field_count_and_length_limits(client, make_user, settings, session):
    u = await make_user("alice")
    too_many = [{"name": f"n{i}", "value": "v"} for i in range(settings.max_profile_fields + 1)]
    r = await client.patch("/api/v1/accounts/update_credentials", headers=u.headers,
                           json={"fields_attributes": too_many, "display_name": "changed"})
    assert r.status_code == 422
    assert (await session.get(Account, u.account_id)).display_name == ""  # nothing half-written
    await session.rollback()  # release SQLite's write lock before the next request
    long_value = [{"name": "n", "value": "v" * (settings.max_field_chars + 1)}]
    r = await client.patch("/api/v1/accounts/update_credentials", headers=u.headers,
                           json={"fields_attributes": long_value})
    assert r.status_code == 422


async def test_update_credentials__bad_values__422(client, make_user):
    u = await make_user("alice")
    for body in ({"locked": "maybe"}, {"source": {"privacy": "direct"}}, {"source": {"language": "english"}},
                 {"fields_attributes": "x"}, {"display_name": ["a"]}):
        r = await client.patch("/api/v1/accounts/update_credentials", headers=u.headers, json=body)
        assert r.status_code == 422, (body, r.text)
    # NUL characters are refused before parsing (chaupal/api/params.py): 400
    r = await client.patch("/api/v1/accounts/update_credentials", headers=u.headers, json={"note": "a\x00b"})
    assert r.status_code == 400 and "error" in r.json()


async def test_update_credentials__avatar_upload__422_not_supported_yet(client, make_user):
    u = await make_user("alice")
    r = await client.patch("/api/v1/accounts/update_credentials", headers=u.headers,
                           files={"avatar": ("a.png", b"\x89PNG", "image/png")})
    assert r.status_code == 422 and "not supported yet" in r.json()["error"]


async def test_update_credentials__read_only_token__403(client, make_user):
    u = await make_user("alice", scopes="read")
    r = await client.patch("/api/v1/accounts/update_credentials", headers=u.headers, json={"bot": True})
    assert r.status_code == 403


async def test_update_credentials__malformed_json__400(client, make_user):
    u = await make_user("alice")
    r = await client.patch("/api/v1/accounts/update_credentials", content=b"{",
                           headers={**u.headers, "content-type": "application/json"})
    assert r.status_code == 400


# --- suspension through the admin API --------------------------------------------------------


async def _make_staff(session, user_id, role):
    user = await session.get(User, user_id)
    user.role = role
    await session.commit()


async def test_admin_suspend__revokes_tokens_and_blocks_sign_in(client, make_user, session):
    mod = await make_user("mod", scopes="read write admin:read admin:write")
    await _make_staff(session, mod.user_id, "moderator")
    bob = await make_user("bob")
    r = await client.post(f"/api/v1/admin/accounts/{bob.account_id}/action", headers=mod.headers,
                          data={"type": "suspend"})
    assert r.status_code == 200, r.text
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bob.headers)).status_code == 401
    from tests.web.flows import sign_in

    assert (await sign_in(client, "bob")).status_code == 401
    r = await client.post(f"/api/v1/admin/accounts/{bob.account_id}/unsuspend", headers=mod.headers)
    assert r.status_code == 200 and r.json()["suspended"] is False
    # unsuspending does not bring revoked tokens back: bob signs in again
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bob.headers)).status_code == 401
    assert (await sign_in(client, "bob")).status_code == 303


async def test_admin_action__plain_user__403(client, make_user):
    eve = await make_user("eve", scopes="read write admin:write")
    bob = await make_user("bob")
    r = await client.post(f"/api/v1/admin/accounts/{bob.account_id}/action", headers=eve.headers,
                          data={"type": "suspend"})
    assert r.status_code == 403


async def test_admin_action__without_admin_scope__403(client, make_user, session):
    mod = await make_user("mod", scopes="read write")
    await _make_staff(session, mod.user_id, "admin")
    bob = await make_user("bob")
    r = await client.post(f"/api/v1/admin/accounts/{bob.account_id}/action", headers=mod.headers,
                          data={"type": "suspend"})
    assert r.status_code == 403


async def test_admin_action__moderator_cannot_suspend_admin(client, make_user, session):
    mod = await make_user("mod", scopes="admin:write")
    await _make_staff(session, mod.user_id, "moderator")
    boss = await make_user("boss")
    await _make_staff(session, boss.user_id, "admin")
    r = await client.post(f"/api/v1/admin/accounts/{boss.account_id}/action", headers=mod.headers,
                          data={"type": "suspend"})
    assert r.status_code == 403


async def test_admin_action__unknown_account_404_and_bad_type_422(client, make_user, session):
    mod = await make_user("mod", scopes="admin:write")
    await _make_staff(session, mod.user_id, "admin")
    bob = await make_user("bob")
    assert (await client.post("/api/v1/admin/accounts/999/action", headers=mod.headers,
                              data={"type": "suspend"})).status_code == 404
    assert (await client.post("/api/v1/admin/accounts/abc/action", headers=mod.headers,
                              data={"type": "suspend"})).status_code == 404
    r = await client.post(f"/api/v1/admin/accounts/{bob.account_id}/action", headers=mod.headers,
                          data={"type": "obliterate"})
    assert r.status_code == 422
    r = await client.post(f"/api/v1/admin/accounts/{bob.account_id}/action", headers=mod.headers, data={})
    assert r.status_code == 422
    r = await client.post(f"/api/v1/admin/accounts/{bob.account_id}/action", headers=mod.headers,
                          data={"type": "none"})
    assert r.status_code == 200


# --- actions ---------------------------------------------------------------------------------


async def test_check_change_password__revokes_every_token(client, make_user, session, settings):
    from chaupal.actions.accounts import check_change_password
    from chaupal.errors import ApiError

    u = await make_user("alice")
    user = await session.get(User, u.user_id)
    with pytest.raises(ApiError) as wrong:
        await check_change_password(session, settings, user, "wrong", "new-password-1")
    assert wrong.value.status == 403
    with pytest.raises(ApiError) as short:
        await check_change_password(session, settings, user, "password123", "x")
    assert short.value.status == 422
    revoked = await check_change_password(session, settings, user, "password123", "new-password-1")
    await session.commit()
    assert revoked == 1
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=u.headers)).status_code == 401
