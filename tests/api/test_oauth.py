"""OAuth 2: the code flow with and without PKCE, client credentials, refresh, revocation,
and every way a token request can be wrong."""

from __future__ import annotations

import base64
from datetime import UTC
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select, update

from chaupal.models import AccessToken, AuthorizationCode
from tests.web.flows import OOB, authorize, code_from, get_code, pkce_pair, register_app, sign_in


async def _token(client, app, **data):
    body = {"client_id": app["client_id"], **data}
    return await client.post("/oauth/token", data=body)


async def _signed_in(client, make_user, name="alice"):
    user = await make_user(name)
    r = await sign_in(client, name)
    assert r.status_code == 303
    return user


async def test_code_flow__confidential_client__token_works(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    r = await authorize(client, app, state="s1")
    assert r.status_code == 302
    location = urlsplit(r.headers["location"])
    assert location.netloc == "app.example" and parse_qs(location.query)["state"] == ["s1"]
    code = code_from(r)
    t = await _token(client, app, grant_type="authorization_code", code=code,
                     redirect_uri=app["redirect_uris"][0], client_secret=app["client_secret"])
    assert t.status_code == 200, t.text
    body = t.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read write follow push"
    assert isinstance(body["created_at"], int) and body["refresh_token"]
    assert t.headers["cache-control"] == "no-store"
    me = await client.get("/api/v1/apps/verify_credentials",
                          headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["name"] == "Test app"


async def test_code_flow__http_basic_client_auth(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    code = await get_code(client, app)
    basic = base64.b64encode(f"{app['client_id']}:{app['client_secret']}".encode()).decode()
    t = await client.post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                                "redirect_uri": app["redirect_uris"][0]},
                          headers={"Authorization": f"Basic {basic}"})
    assert t.status_code == 200, t.text


async def test_code_flow__wrong_client_secret__401_invalid_client(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    code = await get_code(client, app)
    t = await _token(client, app, grant_type="authorization_code", code=code,
                     redirect_uri=app["redirect_uris"][0], client_secret="nope")
    assert t.status_code == 401
    assert t.json()["error"] == "invalid_client"


async def test_pkce__public_client_with_right_verifier__token(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    verifier, challenge = pkce_pair()
    code = await get_code(client, app, challenge=challenge)
    t = await _token(client, app, grant_type="authorization_code", code=code,
                     redirect_uri=app["redirect_uris"][0], code_verifier=verifier)
    assert t.status_code == 200, t.text


async def test_pkce__wrong_verifier__invalid_grant(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    _, challenge = pkce_pair()
    other, _ = pkce_pair()
    code = await get_code(client, app, challenge=challenge)
    t = await _token(client, app, grant_type="authorization_code", code=code,
                     redirect_uri=app["redirect_uris"][0], code_verifier=other,
                     client_secret=app["client_secret"])
    assert t.status_code == 400
    assert t.json()["error"] == "invalid_grant" and t.json()["error_description"]


async def test_pkce__missing_verifier_even_with_secret__invalid_grant(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    _, challenge = pkce_pair()
    code = await get_code(client, app, challenge=challenge)
    t = await _token(client, app, grant_type="authorization_code", code=code,
                     redirect_uri=app["redirect_uris"][0], client_secret=app["client_secret"])
    assert t.status_code == 400 and t.json()["error"] == "invalid_grant"


async def test_pkce__public_client_without_pkce__401(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    code = await get_code(client, app)
    t = await _token(client, app, grant_type="authorization_code", code=code,
                     redirect_uri=app["redirect_uris"][0])
    assert t.status_code == 401 and t.json()["error"] == "invalid_client"


async def test_pkce__plain_method__refused_at_authorize(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    r = await client.get("/oauth/authorize", params={
        "client_id": app["client_id"], "redirect_uri": app["redirect_uris"][0], "response_type": "code",
        "code_challenge": "a" * 43, "code_challenge_method": "plain", "state": "st"})
    assert r.status_code == 302
    q = parse_qs(urlsplit(r.headers["location"]).query)
    assert q["error"] == ["invalid_request"] and q["state"] == ["st"]


async def test_code_reuse__rejected_and_first_token_revoked(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    code = await get_code(client, app)
    data = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": app["redirect_uris"][0], "client_secret": app["client_secret"]}
    first = await _token(client, app, **data)
    assert first.status_code == 200
    headers = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert (await client.get("/api/v1/apps/verify_credentials", headers=headers)).status_code == 200
    again = await _token(client, app, **data)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert (await client.get("/api/v1/apps/verify_credentials", headers=headers)).status_code == 401


async def test_code__expired__invalid_grant(client, make_user, session):
    await _signed_in(client, make_user)
    app = await register_app(client)
    code = await get_code(client, app)
    from datetime import datetime

    await session.execute(update(AuthorizationCode).values(expires_at=datetime(2000, 1, 1, tzinfo=UTC)))
    await session.commit()
    t = await _token(client, app, grant_type="authorization_code", code=code,
                     redirect_uri=app["redirect_uris"][0], client_secret=app["client_secret"])
    assert t.status_code == 400 and t.json()["error"] == "invalid_grant"


async def test_code__ttl_comes_from_settings(client, make_user, session, settings):
    await _signed_in(client, make_user)
    app = await register_app(client)
    await get_code(client, app)
    code = await session.scalar(select(AuthorizationCode))
    assert abs((code.expires_at - code.created_at).total_seconds() - settings.auth_code_ttl_seconds) < 5


async def test_code__other_apps_code__invalid_grant(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    other = await register_app(client, name="Other")
    code = await get_code(client, app)
    t = await _token(client, other, grant_type="authorization_code", code=code,
                     redirect_uri=app["redirect_uris"][0], client_secret=other["client_secret"])
    assert t.status_code == 400 and t.json()["error"] == "invalid_grant"


async def test_token__redirect_uri_differs_from_authorize__invalid_grant(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client, redirect_uris=["https://app.example/cb", "https://app.example/two"])
    code = await get_code(client, app, redirect_uri="https://app.example/cb")
    t = await _token(client, app, grant_type="authorization_code", code=code,
                     redirect_uri="https://app.example/two", client_secret=app["client_secret"])
    assert t.status_code == 400 and t.json()["error"] == "invalid_grant"


async def test_authorize__unregistered_redirect_uri__400_page_no_redirect(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    r = await client.get("/oauth/authorize", params={
        "client_id": app["client_id"], "redirect_uri": "https://evil.example/cb", "response_type": "code"})
    assert r.status_code == 400 and "location" not in r.headers
    assert "redirect_uri" in r.text


async def test_authorize__prefix_of_registered_uri__not_accepted(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    r = await client.get("/oauth/authorize", params={
        "client_id": app["client_id"], "redirect_uri": "https://app.example/cb/../x", "response_type": "code"})
    assert r.status_code == 400


async def test_authorize__unknown_client__400_page(client):
    r = await client.get("/oauth/authorize", params={"client_id": "nope", "response_type": "code"})
    assert r.status_code == 400 and "text/html" in r.headers["content-type"]


async def test_authorize__scope_escalation__invalid_scope_redirect(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client, scopes="read")
    r = await client.get("/oauth/authorize", params={
        "client_id": app["client_id"], "redirect_uri": app["redirect_uris"][0], "response_type": "code",
        "scope": "read write"})
    assert r.status_code == 302
    assert parse_qs(urlsplit(r.headers["location"]).query)["error"] == ["invalid_scope"]


async def test_authorize__granular_scope_within_top_scope__allowed(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client, scopes="read")
    code = await get_code(client, app, scope="read:statuses")
    t = await _token(client, app, grant_type="authorization_code", code=code,
                     redirect_uri=app["redirect_uris"][0], client_secret=app["client_secret"])
    assert t.json()["scope"] == "read:statuses"


async def test_authorize__response_type_token__unsupported(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    r = await client.get("/oauth/authorize", params={
        "client_id": app["client_id"], "redirect_uri": app["redirect_uris"][0], "response_type": "token"})
    assert parse_qs(urlsplit(r.headers["location"]).query)["error"] == ["unsupported_response_type"]


async def test_authorize__deny__access_denied_redirect(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    r = await authorize(client, app, decision="deny", state="abc")
    q = parse_qs(urlsplit(r.headers["location"]).query)
    assert q["error"] == ["access_denied"] and q["state"] == ["abc"] and "code" not in q


async def test_authorize__oob__code_shown_on_page(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client, redirect_uris=OOB)
    r = await authorize(client, app)
    assert r.status_code == 200 and 'id="authorization-code"' in r.text
    t = await _token(client, app, grant_type="authorization_code", code=code_from(r),
                     redirect_uri=OOB, client_secret=app["client_secret"])
    assert t.status_code == 200


async def test_authorize__not_signed_in__sign_in_form_returns_here(client, make_user):
    await make_user("alice")
    app = await register_app(client)
    r = await client.get("/oauth/authorize", params={
        "client_id": app["client_id"], "redirect_uri": app["redirect_uris"][0], "response_type": "code"})
    assert r.status_code == 200
    assert 'action="/auth/sign_in"' in r.text and 'name="next" value="/oauth/authorize?' in r.text


async def test_authorize__force_login__sign_in_form_even_when_signed_in(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    params = {"client_id": app["client_id"], "redirect_uri": app["redirect_uris"][0],
              "response_type": "code", "force_login": "true"}
    r = await client.get("/oauth/authorize", params=params)
    assert 'action="/auth/sign_in"' in r.text and 'value="approve"' not in r.text
    assert "force_login" not in r.text.split('name="next" value="')[1].split('"')[0]
    params["force_login"] = "False"  # what Mastodon.py sends by default
    assert 'value="approve"' in (await client.get("/oauth/authorize", params=params)).text


async def test_authorize_post__without_csrf__403(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    r = await client.post("/oauth/authorize", data={
        "client_id": app["client_id"], "redirect_uri": app["redirect_uris"][0], "response_type": "code",
        "scope": "read", "decision": "approve"})
    assert r.status_code == 403


async def test_authorize_post__not_signed_in__401(client):
    app = await register_app(client)
    r = await client.post("/oauth/authorize", data={"client_id": app["client_id"], "decision": "approve"})
    assert r.status_code == 401


async def test_password_grant__refused(client, make_user):
    await make_user("alice")
    app = await register_app(client)
    t = await _token(client, app, grant_type="password", username="alice@example.org",
                     password="password123", client_secret=app["client_secret"])
    assert t.status_code == 400 and t.json()["error"] == "unsupported_grant_type"


async def test_token__unknown_grant_and_missing_grant(client):
    app = await register_app(client)
    assert (await _token(client, app, grant_type="magic")).json()["error"] == "unsupported_grant_type"
    r = await _token(client, app)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


async def test_token__malformed_json__400_invalid_request(client):
    r = await client.post("/oauth/token", content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


async def test_client_credentials__app_token(client):
    app = await register_app(client)
    t = await _token(client, app, grant_type="client_credentials", client_secret=app["client_secret"],
                     scope="read write")
    assert t.status_code == 200 and "refresh_token" not in t.json()
    assert t.json()["scope"] == "read write"
    headers = {"Authorization": f"Bearer {t.json()['access_token']}"}
    me = await client.get("/api/v1/apps/verify_credentials", headers=headers)
    assert me.status_code == 200 and "client_secret" not in me.json()
    # an app token has no user: user endpoints refuse it
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=headers)).status_code in (401, 422)


async def test_client_credentials__without_secret__401(client):
    app = await register_app(client)
    t = await _token(client, app, grant_type="client_credentials")
    assert t.status_code == 401


async def test_client_credentials__scope_escalation__invalid_scope(client):
    app = await register_app(client, scopes="read")
    t = await _token(client, app, grant_type="client_credentials", client_secret=app["client_secret"],
                     scope="write")
    assert t.status_code == 400 and t.json()["error"] == "invalid_scope"


async def test_refresh__rotates_and_old_refresh_dies(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    code = await get_code(client, app)
    first = (await _token(client, app, grant_type="authorization_code", code=code,
                          redirect_uri=app["redirect_uris"][0], client_secret=app["client_secret"])).json()
    r = await _token(client, app, grant_type="refresh_token", refresh_token=first["refresh_token"],
                     client_secret=app["client_secret"])
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["access_token"] != first["access_token"] and second["scope"] == first["scope"]
    old = {"Authorization": f"Bearer {first['access_token']}"}
    assert (await client.get("/api/v1/apps/verify_credentials", headers=old)).status_code == 401
    again = await _token(client, app, grant_type="refresh_token", refresh_token=first["refresh_token"],
                         client_secret=app["client_secret"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_refresh__narrower_scope_ok_wider_refused(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    code = await get_code(client, app, scope="read")
    first = (await _token(client, app, grant_type="authorization_code", code=code,
                          redirect_uri=app["redirect_uris"][0], client_secret=app["client_secret"])).json()
    wider = await _token(client, app, grant_type="refresh_token", refresh_token=first["refresh_token"],
                         client_secret=app["client_secret"], scope="read write")
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
    narrower = await _token(client, app, grant_type="refresh_token", refresh_token=first["refresh_token"],
                            client_secret=app["client_secret"], scope="read:statuses")
    assert narrower.status_code == 200 and narrower.json()["scope"] == "read:statuses"


async def test_refresh__public_client_without_pkce_lineage__401(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    code = await get_code(client, app)
    first = (await _token(client, app, grant_type="authorization_code", code=code,
                          redirect_uri=app["redirect_uris"][0], client_secret=app["client_secret"])).json()
    r = await _token(client, app, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert r.status_code == 401


async def test_revoke__token_stops_working(client, make_user):
    await _signed_in(client, make_user)
    app = await register_app(client)
    code = await get_code(client, app)
    tok = (await _token(client, app, grant_type="authorization_code", code=code,
                        redirect_uri=app["redirect_uris"][0], client_secret=app["client_secret"])).json()
    headers = {"Authorization": f"Bearer {tok['access_token']}"}
    r = await client.post("/oauth/revoke", data={"client_id": app["client_id"],
                                                 "client_secret": app["client_secret"],
                                                 "token": tok["access_token"]})
    assert r.status_code == 200 and r.json() == {}
    v = await client.get("/api/v1/apps/verify_credentials", headers=headers)
    assert v.status_code == 401 and "error" in v.json()


async def test_revoke__unknown_token__200(client):
    app = await register_app(client)
    r = await client.post("/oauth/revoke", data={"client_id": app["client_id"],
                                                 "client_secret": app["client_secret"], "token": "nope"})
    assert r.status_code == 200


async def test_revoke__other_apps_token__403_and_token_survives(client, session):
    app = await register_app(client)
    other = await register_app(client, name="Other")
    tok = (await _token(client, app, grant_type="client_credentials",
                        client_secret=app["client_secret"])).json()
    r = await client.post("/oauth/revoke", data={"client_id": other["client_id"],
                                                 "client_secret": other["client_secret"],
                                                 "token": tok["access_token"]})
    assert r.status_code == 403 and r.json()["error"] == "unauthorized_client"
    assert (await session.scalar(select(AccessToken.revoked_at))) is None


async def test_metadata__rfc8414(client):
    r = await client.get("/.well-known/oauth-authorization-server")
    m = r.json()
    assert m["code_challenge_methods_supported"] == ["S256"]
    assert "password" not in m["grant_types_supported"]
    assert set(m["grant_types_supported"]) == {"authorization_code", "client_credentials", "refresh_token"}
    assert m["response_types_supported"] == ["code"]
    assert "read:statuses" in m["scopes_supported"] and "write" in m["scopes_supported"]
    assert m["app_registration_endpoint"].endswith("/api/v1/apps")
    assert m["token_endpoint"] == "http://chaupal.test/oauth/token"
